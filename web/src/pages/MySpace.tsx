// Maker self-service: my upcoming bookings, my trainings with their expiry, my sessions and
// what each cost, my prepaid credit and its movements, my invoices with their PDF.
import { useState } from 'react'
import { api, query } from '../api'
import { InvoiceTable } from '../components/InvoiceTable'
import { Notices } from '../components/Notices.js'
import { causeKey, describeError } from '../lib/describe'
import { useFlash, useLoad } from '../lib/hooks'
import { dynamicKey, useI18n } from '../lib/i18n'
import { useDebounced, useLive } from '../lib/live'
import { formatMoney, formatRate, inclVat } from '../lib/money'
import { useSpace } from '../lib/space'
import { formatCalendarDate, formatDateTime, formatDuration, formatTime, lastValidDate } from '../lib/time'
import type { Booking, Credit, Invoice, Member, SpaceInfo, UsageSession } from '../lib/types'

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
  const info = useLoad(() => api<SpaceInfo>('GET', `/spaces/${space.slug}`), [space.slug])
  const credit = useLoad(() => api<Credit>('GET', `/spaces/${space.slug}/members/${me}/credit`), [space.slug, me])
  // Staff would get everyone's invoices without the member filter: only mine here.
  const invoices = useLoad(
    () => api<Invoice[]>('GET', `/spaces/${space.slug}/invoices${query({ member: me })}`),
    [space.slug, me],
  )
  const reloadBookings = useDebounced(bookings.reload, 200)
  // A session that ends is priced and debited from the credit.
  const reloadSessions = useDebounced(() => {
    sessions.reload()
    credit.reload()
  }, 500)
  useLive('booking.changed', reloadBookings)
  useLive('machine.state', reloadSessions)
  const [flash, showFlash] = useFlash()
  const [error, setError] = useState('')
  const [allMovements, setAllMovements] = useState(false)

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
  const currency = credit.data?.currency ?? info.data?.currency ?? 'EUR'
  const money = (cents: number) => formatMoney(cents, locale, currency)
  const vatRate = info.data?.vatRateBps
  const sessionsById = new Map((sessions.data ?? []).map((s) => [s.id, s]))

  return (
    <div className="my-space">
      <div className="page-head">
        <h1>{t('navMe')}</h1>
        {member.data && (
          <p className="muted">
            {member.data.name} · {member.data.email}
            {credit.data && <> · {t('credit', { amount: money(credit.data.balanceCents) })}</>}
          </p>
        )}
      </div>
      <Notices flash={flash} error={error} />
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
                  <th scope="col" className="num">
                    {t('priceExcl')}
                  </th>
                  <th scope="col" className="num">
                    {t('priceIncl')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {sessions.data.map((s) => (
                  <tr key={s.id}>
                    <td>{space.machineName(s.machine)}</td>
                    <td>{formatDateTime(s.startedAt, tz, locale)}</td>
                    <td>{s.durationSeconds === null ? t('running') : formatDuration(s.durationSeconds)}</td>
                    <td>{s.endedAt ? t(causeKey(s.endCause)) : ''}</td>
                    <td className="num">{s.chargeCents === null ? '' : money(s.chargeCents)}</td>
                    <td className="num">
                      {s.chargeCents === null || vatRate === undefined ? '' : money(inclVat(s.chargeCents, vatRate))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {vatRate !== undefined && sessions.data && sessions.data.length > 0 && (
          <p className="muted small">{t('pricesNote', { rate: formatRate(vatRate, locale) })}</p>
        )}
      </section>
      <section className="card" aria-labelledby="my-invoices">
        <h2 id="my-invoices">{t('myInvoices')}</h2>
        {invoices.error ? (
          <p className="error" role="alert">
            {describeError(invoices.error, t)}
          </p>
        ) : null}
        {invoices.data && invoices.data.length === 0 && <p className="muted">{t('noInvoices')}</p>}
        {invoices.data && invoices.data.length > 0 && (
          <InvoiceTable invoices={invoices.data} space={space.slug} timeZone={tz} />
        )}
      </section>
      <section className="card" aria-labelledby="my-credit">
        <h2 id="my-credit">{t('myCredit')}</h2>
        {credit.error ? (
          <p className="error" role="alert">
            {describeError(credit.error, t)}
          </p>
        ) : null}
        {credit.data && (
          <>
            <p className={`balance${credit.data.balanceCents < 0 ? ' negative' : ''}`}>
              {t('balance', { amount: money(credit.data.balanceCents) })}
            </p>
            {credit.data.balanceCents < 0 && <p className="warn-text">{t('balanceNegative')}</p>}
            <h3>{t('movements')}</h3>
            {credit.data.entries.length === 0 && <p className="muted">{t('noMovements')}</p>}
            <ul className="list movements">
              {credit.data.entries.slice(0, allMovements ? undefined : 10).map((e) => {
                const session = e.sessionId ? sessionsById.get(e.sessionId) : undefined
                const detail = [
                  e.means ? t(dynamicKey('means_', e.means, 'means_other')) : '',
                  e.reference ?? '',
                  session ? space.machineName(session.machine) : '',
                ]
                  .filter(Boolean)
                  .join(' · ')
                return (
                  <li key={e.id} data-kind={e.kind}>
                    <span>
                      <strong>{t(dynamicKey('credit_', e.kind, 'credit_adjustment'))}</strong>{' '}
                      <span className="muted">
                        {formatDateTime(e.at, tz, locale)}
                        {detail && ` · ${detail}`}
                      </span>
                    </span>
                    <span className={`amount ${e.amountCents < 0 ? 'debit' : 'credit'}`}>
                      {e.amountCents > 0 ? '+' : ''}
                      {money(e.amountCents)}
                    </span>
                  </li>
                )
              })}
            </ul>
            {!allMovements && credit.data.entries.length > 10 && (
              <button type="button" className="link" onClick={() => setAllMovements(true)}>
                {t('showAll', { count: credit.data.entries.length })}
              </button>
            )}
          </>
        )}
      </section>
    </div>
  )
}
