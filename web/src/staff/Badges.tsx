// Badges (staff): enrol the next badge tapped on any reader of an agent, give a recently
// tapped unknown badge to a member, type a UID, revoke.
import { type FormEvent, type ReactNode, useState } from 'react'
import { api, query } from '../api'
import { Notices } from '../components/Notices.js'
import { describeError } from '../lib/describe'
import { useFlash, useLoad } from '../lib/hooks'
import { useI18n } from '../lib/i18n'
import { useDebounced, useLive } from '../lib/live'
import { useSpace } from '../lib/space'
import { formatDateTime, formatTime } from '../lib/time'
import type { AgentInfo, Badge, LiveAccessDecision, LiveAgentStatus, Member, UnknownBadge } from '../lib/types'

export default function Badges() {
  const { t, locale } = useI18n()
  const space = useSpace()
  const tz = space.timeZone
  const badges = useLoad(() => api<Badge[]>('GET', `/spaces/${space.slug}/badges`), [space.slug])
  const members = useLoad(() => api<Member[]>('GET', `/spaces/${space.slug}/members`), [space.slug])
  const agents = useLoad(() => api<AgentInfo[]>('GET', `/spaces/${space.slug}/agents`), [space.slug])
  const unknown = useLoad(
    () => api<UnknownBadge[]>('GET', `/spaces/${space.slug}/badges/unknown${query({ limit: 10 })}`),
    [space.slug],
  )
  const [flash, showFlash] = useFlash(10_000)
  const [error, setError] = useState('')
  const [waiting, setWaiting] = useState<{ member: string; until: string } | null>(null)
  const reloadUnknown = useDebounced(unknown.reload, 200)
  useLive<LiveAccessDecision>('access.decision', (d) => {
    if (d.reason === 'unknown_badge') reloadUnknown()
  })
  useLive<LiveAgentStatus>('agent.status', (s) => {
    if (!s.enrolled) return
    const name = members.data?.find((m) => m.id === s.enrolled!.memberId)?.name ?? ''
    setWaiting(null)
    showFlash(t('enrolDone', { uid: s.enrolled.badgeUid, name }))
    badges.reload()
    unknown.reload()
  })
  const memberName = (id: string) => members.data?.find((m) => m.id === id)?.name ?? id
  // The latest tap of each unknown UID that is still not enrolled.
  const enrolled = new Set((badges.data ?? []).map((b) => b.uid))
  const pending = (unknown.data ?? []).filter(
    (u, i, list) => !enrolled.has(u.uid) && list.findIndex((x) => x.uid === u.uid) === i,
  )

  async function run(action: () => Promise<unknown>, message?: string) {
    setError('')
    try {
      await action()
      if (message) showFlash(message)
      badges.reload()
      unknown.reload()
    } catch (e) {
      setError(describeError(e, t))
    }
  }

  async function startEnrol(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    const member = String(form.get('member'))
    const agent = String(form.get('agent'))
    setError('')
    try {
      const res = await api<{ until: string }>('POST', `/spaces/${space.slug}/agents/${agent}/enrol`, {
        member,
        seconds: 120,
      })
      setWaiting({ member, until: res.until })
    } catch (e) {
      setError(describeError(e, t))
    }
  }

  function manual(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const formEl = event.currentTarget
    const form = new FormData(formEl)
    const uid = String(form.get('uid')).trim().toUpperCase()
    void run(
      async () => {
        await api('POST', `/spaces/${space.slug}/members/${String(form.get('member'))}/badges`, {
          uid,
          label: String(form.get('label') || '') || undefined,
        })
        formEl.reset()
      },
      t('badgeEnrolled', { uid }),
    )
  }

  const memberOptions = (members.data ?? []).map((m) => (
    <option key={m.id} value={m.id}>
      {m.name} ({m.email})
    </option>
  ))

  return (
    <div>
      <div className="page-head">
        <h1>{t('navBadges')}</h1>
      </div>
      <Notices flash={flash} error={error} />
      <div className="columns">
        <form className="card stack" onSubmit={startEnrol} aria-labelledby="enrol-title">
          <h2 id="enrol-title">{t('enrolTitle')}</h2>
          <p className="muted">{t('enrolHelp')}</p>
          <label>
            {t('member')}
            <select name="member" required>
              {memberOptions}
            </select>
          </label>
          <label>
            {t('agent')}
            <select name="agent" required>
              {(agents.data ?? []).map((a) => (
                <option key={a.slug} value={a.slug}>
                  {a.name} {a.online ? '' : `(${t('offline')})`}
                </option>
              ))}
            </select>
          </label>
          <div className="actions">
            <button type="submit" className="primary">
              {t('startEnrol')}
            </button>
          </div>
          {waiting && (
            <p className="notice waiting" role="status">
              <strong>{memberName(waiting.member)}</strong> —{' '}
              {t('enrolWaiting', { time: formatTime(waiting.until, tz) })}
            </p>
          )}
        </form>
        <section className="card" aria-labelledby="unknown-title">
          <h2 id="unknown-title">{t('unknownBadges')}</h2>
          {unknown.data && pending.length === 0 && <p className="muted">{t('noUnknownBadges')}</p>}
          <ul className="list">
            {pending.map((u) => (
              <li key={`${u.uid}-${u.at}`}>
                <span>
                  <code>{u.uid}</code> {u.machine && space.machineName(u.machine)} ·{' '}
                  <time dateTime={u.at}>{formatDateTime(u.at, tz, locale)}</time>
                </span>
                <UnknownGive
                  uid={u.uid}
                  options={memberOptions}
                  onGive={(member) =>
                    run(
                      () => api('POST', `/spaces/${space.slug}/members/${member}/badges`, { uid: u.uid }),
                      t('badgeEnrolled', { uid: u.uid }),
                    )
                  }
                />
              </li>
            ))}
          </ul>
          <form className="stack" onSubmit={manual}>
            <h3>{t('enrolManual')}</h3>
            <label>
              {t('badgeUid')}
              <input name="uid" required pattern="[0-9A-Fa-f]{4,20}" />
            </label>
            <label>
              {t('member')}
              <select name="member" required>
                {memberOptions}
              </select>
            </label>
            <label>
              {t('label')}
              <input name="label" maxLength={100} />
            </label>
            <div className="actions">
              <button type="submit">{t('add')}</button>
            </div>
          </form>
        </section>
      </div>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('badgeUid')}</th>
              <th scope="col">{t('member')}</th>
              <th scope="col">{t('label')}</th>
              <th scope="col">{t('lastSeen')}</th>
              <th scope="col">{t('status')}</th>
              <th scope="col">{t('actions')}</th>
            </tr>
          </thead>
          <tbody>
            {(badges.data ?? []).map((b) => (
              <tr key={b.uid}>
                <th scope="row">
                  <code>{b.uid}</code>
                </th>
                <td>{b.member.name}</td>
                <td>{b.label}</td>
                <td>{b.lastSeenAt ? formatDateTime(b.lastSeenAt, tz, locale) : t('never')}</td>
                <td>{t(b.active ? 'active' : 'revoked')}</td>
                <td>
                  {b.active && (
                    <button
                      type="button"
                      className="small danger"
                      onClick={() => run(() => api('DELETE', `/spaces/${space.slug}/badges/${b.uid}`), t('saved'))}
                    >
                      {t('revoke')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  )
}

function UnknownGive({ uid, options, onGive }: { uid: string; options: ReactNode; onGive: (member: string) => void }) {
  const { t } = useI18n()
  const [member, setMember] = useState('')
  return (
    <span className="row">
      <label className="inline">
        <span className="sr-only">
          {t('member')} — {uid}
        </span>
        <select value={member} onChange={(e) => setMember(e.target.value)}>
          <option value="">{t('member')}…</option>
          {options}
        </select>
      </label>
      <button type="button" className="small" disabled={!member} onClick={() => onGive(member)}>
        {t('giveTo')}
      </button>
    </span>
  )
}
