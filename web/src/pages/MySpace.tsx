// Maker self-service: my upcoming bookings, my trainings with their expiry, my sessions.
import { useState } from 'react'
import { api, query } from '../api'
import { causeKey, describeError } from '../lib/describe'
import { useFlash, useLoad } from '../lib/hooks'
import { useI18n } from '../lib/i18n'
import { useDebounced, useLive } from '../lib/live'
import { useSpace } from '../lib/space'
import { formatCalendarDate, formatDateTime, formatDuration, formatTime, lastValidDate } from '../lib/time'
import type { Booking, Member, UsageSession } from '../lib/types'

export function MySpace() {
  const { t, locale } = useI18n()
  const space = useSpace()
  const tz = space.timeZone
  const me = space.membership.id
  const [now] = useState(() => new Date())
  const member = useLoad(() => api<Member>('GET', `/spaces/${space.slug}/members/${me}`), [space.slug, me])
  const bookings = useLoad(
    () => api<Booking[]>('GET', `/spaces/${space.slug}/bookings${query({ member: me, from: now.toISOString() })}`),
    [space.slug, me],
  )
  const sessions = useLoad(
    () => api<UsageSession[]>('GET', `/spaces/${space.slug}/sessions${query({ member: me, limit: 50 })}`),
    [space.slug, me],
  )
  const reloadBookings = useDebounced(bookings.reload, 200)
  const reloadSessions = useDebounced(sessions.reload, 500)
  useLive('booking.changed', reloadBookings)
  useLive('machine.state', reloadSessions)
  const [flash, showFlash] = useFlash()
  const [error, setError] = useState('')

  async function cancel(b: Booking) {
    if (!window.confirm(t('confirmCancelBooking'))) return
    setError('')
    try {
      await api('DELETE', `/spaces/${space.slug}/bookings/${b.id}`)
      showFlash(t('bookingCancelled'))
      bookings.reload()
    } catch (e) {
      setError(describeError(e, t))
    }
  }

  const date = (iso: string) =>
    formatCalendarDate(lastValidDate(iso, tz), locale, { day: 'numeric', month: 'long', year: 'numeric' })
  const currency = new Intl.NumberFormat(locale, { style: 'currency', currency: 'EUR' })

  return (
    <div className="my-space">
      <div className="page-head">
        <h1>{t('navMe')}</h1>
        {member.data && (
          <p className="muted">
            {member.data.name} · {member.data.email}
            {member.data.creditCents !== 0 && (
              <> · {t('credit', { amount: currency.format(member.data.creditCents / 100) })}</>
            )}
          </p>
        )}
      </div>
      {flash && (
        <p className="notice success" role="status">
          {flash}
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="columns">
        <section className="card" aria-labelledby="my-bookings">
          <h2 id="my-bookings">{t('myBookings')}</h2>
          {bookings.data && bookings.data.length === 0 && <p className="muted">{t('noBookings')}</p>}
          <ul className="list">
            {(bookings.data ?? []).map((b) => (
              <li key={b.id}>
                <span>
                  <strong>{space.machineName(b.machine)}</strong> — {formatDateTime(b.start, tz, locale)}–
                  {formatTime(b.end, tz)}
                </span>
                {b.status === 'confirmed' && (
                  <button type="button" className="small" onClick={() => cancel(b)}>
                    {t('cancelBooking')}
                  </button>
                )}
              </li>
            ))}
          </ul>
        </section>
        <section className="card" aria-labelledby="my-trainings">
          <h2 id="my-trainings">{t('myTrainings')}</h2>
          {member.data && member.data.trainings.length === 0 && <p className="muted">{t('noTrainings')}</p>}
          <ul className="list">
            {(member.data?.trainings ?? []).map((g) => {
              const expired = g.expiresAt !== null && new Date(g.expiresAt).getTime() <= Date.now()
              return (
                <li key={g.training} className={expired ? 'expired' : ''}>
                  <strong>{space.trainingName(g.training)}</strong>
                  <span className={expired ? 'error' : 'muted'}>
                    {g.expiresAt ? t(expired ? 'expired' : 'expires', { date: date(g.expiresAt) }) : t('noExpiry')}
                  </span>
                </li>
              )
            })}
          </ul>
          {member.data && member.data.badges.length > 0 && (
            <>
              <h3>{t('myBadges')}</h3>
              <ul className="list">
                {member.data.badges.map((b) => (
                  <li key={b.uid}>
                    <code>{b.uid}</code> {b.label && <span className="muted">{b.label}</span>}{' '}
                    {!b.active && <span className="tag warn">{t('revoked')}</span>}
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>
      </div>
      <section className="card" aria-labelledby="my-sessions">
        <h2 id="my-sessions">{t('mySessions')}</h2>
        {sessions.data && sessions.data.length === 0 && <p className="muted">{t('noSessions')}</p>}
        {sessions.data && sessions.data.length > 0 && (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('machine')}</th>
                  <th scope="col">{t('startedAt')}</th>
                  <th scope="col">{t('duration')}</th>
                  <th scope="col">{t('endCause')}</th>
                </tr>
              </thead>
              <tbody>
                {sessions.data.map((s) => (
                  <tr key={s.id}>
                    <td>{space.machineName(s.machine)}</td>
                    <td>{formatDateTime(s.startedAt, tz, locale)}</td>
                    <td>{s.durationSeconds === null ? t('running') : formatDuration(s.durationSeconds)}</td>
                    <td>{s.endedAt ? t(causeKey(s.endCause)) : ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  )
}
