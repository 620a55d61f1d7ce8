// Trainings (staff; trainers for those they hold): grant with an expiry, revoke, create.
import { type FormEvent, useState } from 'react'
import { api } from '../api'
import { Notices } from '../components/Notices.js'
import { describeError } from '../lib/describe'
import { useFlash, useLoad } from '../lib/hooks'
import { useI18n } from '../lib/i18n'
import { useSpace } from '../lib/space'
import { addDays, dayStart, formatCalendarDate, lastValidDate, localDate } from '../lib/time'
import type { Member, Training } from '../lib/types'

export default function Trainings() {
  const { t, locale } = useI18n()
  const space = useSpace()
  const tz = space.timeZone
  const members = useLoad(() => api<Member[]>('GET', `/spaces/${space.slug}/members`), [space.slug])
  const trainings = useLoad(() => api<Training[]>('GET', `/spaces/${space.slug}/trainings`), [space.slug])
  const [flash, showFlash] = useFlash()
  const [error, setError] = useState('')
  const trainingName = (slug: string) => trainings.data?.find((x) => x.slug === slug)?.name ?? slug
  const date = (iso: string) =>
    formatCalendarDate(lastValidDate(iso, tz), locale, { day: 'numeric', month: 'long', year: 'numeric' })

  async function run(action: () => Promise<unknown>, message: string) {
    setError('')
    try {
      await action()
      showFlash(message)
      members.reload()
    } catch (e) {
      setError(describeError(e, t))
    }
  }

  function grant(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    const member = String(form.get('member'))
    const training = String(form.get('training'))
    const until = String(form.get('expires') || '')
    // "Expires on 31 March": valid through that local day.
    const body = until ? { expiresAt: dayStart(addDays(until, 1), tz).toISOString() } : {}
    const name = members.data?.find((m) => m.id === member)?.name ?? ''
    void run(
      () => api('PUT', `/spaces/${space.slug}/members/${member}/trainings/${training}`, body),
      t('granted', { training: trainingName(training), name }),
    )
  }

  function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const formEl = event.currentTarget
    const form = new FormData(formEl)
    const days = String(form.get('validityDays') || '')
    void run(async () => {
      await api('POST', `/spaces/${space.slug}/trainings`, {
        slug: String(form.get('slug')).trim(),
        name: String(form.get('name')).trim(),
        validityDays: days ? Number(days) : null,
      })
      formEl.reset()
      trainings.reload()
    }, t('saved'))
  }

  return (
    <div>
      <div className="page-head">
        <h1>{t('trainingsTitle')}</h1>
      </div>
      <Notices flash={flash} error={error} />
      <form className="card stack" onSubmit={grant} aria-labelledby="grant-title">
        <h2 id="grant-title">{t('grantTitle')}</h2>
        <div className="fields">
          <label>
            {t('member')}
            <select name="member" required>
              {(members.data ?? []).map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name} ({m.email})
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('training')}
            <select name="training" required>
              {(trainings.data ?? []).map((x) => (
                <option key={x.slug} value={x.slug}>
                  {x.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('expiresAt')}
            <input type="date" name="expires" min={localDate(new Date(), tz)} />
          </label>
        </div>
        <div className="actions">
          <button type="submit" className="primary">
            {t('grant')}
          </button>
        </div>
      </form>
      {(trainings.data ?? []).map((x) => {
        const holders = (members.data ?? []).flatMap((m) =>
          m.trainings.filter((g) => g.training === x.slug).map((g) => ({ member: m, grant: g })),
        )
        return (
          <section key={x.slug} className="card" aria-labelledby={`training-${x.slug}`}>
            <h2 id={`training-${x.slug}`}>
              {x.name} <small className="muted">({x.slug})</small>
            </h2>
            <h3 className="sr-only">{t('holders')}</h3>
            {holders.length === 0 ? (
              <p className="muted">{t('noHolders')}</p>
            ) : (
              <ul className="list">
                {holders.map(({ member, grant: g }) => {
                  const expired = g.expiresAt !== null && new Date(g.expiresAt).getTime() <= Date.now()
                  return (
                    <li key={member.id}>
                      <span>
                        <strong>{member.name}</strong>{' '}
                        <span className={expired ? 'error' : 'muted'}>
                          {g.expiresAt
                            ? t(expired ? 'expired' : 'expires', {
                                date: date(g.expiresAt),
                              })
                            : t('noExpiry')}
                        </span>
                      </span>
                      <button
                        type="button"
                        className="small danger"
                        aria-label={`${t('revoke')} — ${x.name}, ${member.name}`}
                        onClick={() =>
                          run(
                            () => api('DELETE', `/spaces/${space.slug}/members/${member.id}/trainings/${x.slug}`),
                            t('revokedTraining', { training: x.name, name: member.name }),
                          )
                        }
                      >
                        {t('revoke')}
                      </button>
                    </li>
                  )
                })}
              </ul>
            )}
          </section>
        )
      })}
      {space.isStaff && (
        <form className="card stack" onSubmit={create} aria-labelledby="new-training">
          <h2 id="new-training">{t('newTraining')}</h2>
          <div className="fields">
            <label>
              {t('slug')}
              <input name="slug" required pattern="[a-z0-9][a-z0-9-]{0,62}" />
            </label>
            <label>
              {t('name')}
              <input name="name" required maxLength={200} />
            </label>
            <label>
              {t('validityDays')}
              <input name="validityDays" type="number" min={1} max={3650} />
            </label>
          </div>
          <div className="actions">
            <button type="submit">{t('create')}</button>
          </div>
        </form>
      )}
    </div>
  )
}
