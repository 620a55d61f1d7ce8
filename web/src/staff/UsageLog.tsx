// The usage log (trainers and staff): sessions and badge decisions with filters by
// machine, member, local dates and decision; CSV exports; machine use per day as SVG.
import { useMemo, useState } from 'react'
import { api, apiPath, query } from '../api'
import { causeKey, describeDecision, describeError } from '../lib/describe'
import { useLoad } from '../lib/hooks'
import { dynamicKey, useI18n } from '../lib/i18n'
import { useDebounced, useLive } from '../lib/live'
import { useSpace } from '../lib/space'
import {
  addDays,
  type CalendarDate,
  dayStart,
  formatCalendarDate,
  formatDateTime,
  formatDuration,
  localDate,
} from '../lib/time'
import type { AccessEvent, DailyUsage, Member, UsageSession } from '../lib/types'
import { UsageChart } from './UsageChart'

export default function UsageLog() {
  const { t, locale } = useI18n()
  const space = useSpace()
  const tz = space.timeZone
  const today = localDate(new Date(), tz)
  const [machine, setMachine] = useState('')
  const [member, setMember] = useState('')
  const [fromDate, setFromDate] = useState<CalendarDate>(addDays(today, -6))
  const [toDate, setToDate] = useState<CalendarDate>(today)
  const [decision, setDecision] = useState('')

  const range = useMemo(() => {
    try {
      const first = fromDate <= toDate ? fromDate : toDate
      const last = fromDate <= toDate ? toDate : fromDate
      return { from: dayStart(first, tz).toISOString(), to: dayStart(addDays(last, 1), tz).toISOString(), first, last }
    } catch {
      return null
    }
  }, [fromDate, toDate, tz])
  const filters = { machine: machine || undefined, member: member || undefined, from: range?.from, to: range?.to }
  const key = [space.slug, machine, member, range?.from, range?.to]

  const members = useLoad(() => api<Member[]>('GET', `/spaces/${space.slug}/members`), [space.slug])
  const sessions = useLoad(
    () => api<UsageSession[]>('GET', `/spaces/${space.slug}/sessions${query({ ...filters, limit: 500 })}`),
    key,
  )
  const events = useLoad(
    () =>
      api<AccessEvent[]>(
        'GET',
        `/spaces/${space.slug}/access-events${query({ ...filters, decision: decision || undefined, limit: 500 })}`,
      ),
    [...key, decision],
  )
  const daily = useLoad(
    () =>
      range
        ? api<DailyUsage>('GET', `/spaces/${space.slug}/usage/daily${query(filters)}`)
        : Promise.resolve({ timeZone: tz, days: [] }),
    key,
  )
  const reloadAll = useDebounced(() => {
    sessions.reload()
    events.reload()
    daily.reload()
  }, 300)
  useLive('session.started', reloadAll)
  useLive('session.ended', reloadAll)
  useLive('access.decision', reloadAll)

  const csv = (kind: 'sessions' | 'access-events') =>
    apiPath(
      `/spaces/${space.slug}/${kind}${query({
        ...filters,
        ...(kind === 'access-events' ? { decision: decision || undefined } : {}),
        limit: 10_000,
        format: 'csv',
      })}`,
    )
  const fail = sessions.error ?? events.error

  return (
    <div className="usage-log">
      <div className="page-head">
        <h1>{t('logTitle')}</h1>
      </div>
      <form className="filters card" onSubmit={(e) => e.preventDefault()} aria-label={t('filter')}>
        <label>
          {t('machine')}
          <select name="machine" value={machine} onChange={(e) => setMachine(e.target.value)}>
            <option value="">{t('allMachines')}</option>
            {space.machines.map((m) => (
              <option key={m.slug} value={m.slug}>
                {m.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('member')}
          <select name="member" value={member} onChange={(e) => setMember(e.target.value)}>
            <option value="">{t('allMembers')}</option>
            {(members.data ?? []).map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('from')}
          <input
            type="date"
            name="from"
            value={fromDate}
            onChange={(e) => e.target.value && setFromDate(e.target.value)}
          />
        </label>
        <label>
          {t('to')}
          <input type="date" name="to" value={toDate} onChange={(e) => e.target.value && setToDate(e.target.value)} />
        </label>
        <label>
          {t('decision')}
          <select name="decision" value={decision} onChange={(e) => setDecision(e.target.value)}>
            <option value="">{t('allDecisions')}</option>
            <option value="granted">{t('decision_granted')}</option>
            <option value="denied">{t('decision_denied')}</option>
          </select>
        </label>
        <button
          type="button"
          onClick={() => {
            setMachine('')
            setMember('')
            setDecision('')
            setFromDate(addDays(today, -6))
            setToDate(today)
          }}
        >
          {t('reset')}
        </button>
      </form>
      {fail ? (
        <p className="error" role="alert">
          {describeError(fail, t)}
        </p>
      ) : null}
      <section className="card" aria-labelledby="chart-title">
        <h2 id="chart-title">{t('chartTitle')}</h2>
        {range && daily.data && (
          <UsageChart
            data={daily.data.days}
            first={range.first}
            last={range.last}
            machines={space.machines.map((m) => ({ slug: m.slug, name: m.name }))}
          />
        )}
      </section>
      <section className="card" aria-labelledby="sessions-title">
        <div className="section-head">
          <h2 id="sessions-title">{t('sessions')}</h2>
          <a className="button" href={csv('sessions')} download>
            {t('exportSessions')}
          </a>
        </div>
        {sessions.data?.length === 0 && <p className="muted">{t('noRows')}</p>}
        {sessions.data && sessions.data.length > 0 && (
          <div className="table-wrap">
            <table className="sessions">
              <thead>
                <tr>
                  <th scope="col">{t('startedAt')}</th>
                  <th scope="col">{t('machine')}</th>
                  <th scope="col">{t('member')}</th>
                  <th scope="col">{t('duration')}</th>
                  <th scope="col">{t('endCause')}</th>
                </tr>
              </thead>
              <tbody>
                {sessions.data.map((s) => (
                  <tr key={s.id} data-session={s.id}>
                    <td>{formatDateTime(s.startedAt, tz, locale)}</td>
                    <td>{space.machineName(s.machine)}</td>
                    <td>{s.member?.name ?? (s.badgeUid ? <code>{s.badgeUid}</code> : t('none'))}</td>
                    <td>{s.durationSeconds === null ? t('running') : formatDuration(s.durationSeconds)}</td>
                    <td>{s.endedAt ? t(causeKey(s.endCause)) : ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section className="card" aria-labelledby="events-title">
        <div className="section-head">
          <h2 id="events-title">{t('accessEvents')}</h2>
          <a className="button" href={csv('access-events')} download>
            {t('exportEvents')}
          </a>
        </div>
        {events.data?.length === 0 && <p className="muted">{t('noRows')}</p>}
        {events.data && events.data.length > 0 && (
          <div className="table-wrap">
            <table className="events">
              <thead>
                <tr>
                  <th scope="col">{t('at')}</th>
                  <th scope="col">{t('machine')}</th>
                  <th scope="col">{t('decision')}</th>
                  <th scope="col">{t('reason')}</th>
                </tr>
              </thead>
              <tbody>
                {events.data.map((e) => (
                  <tr key={e.id} className={`decision ${e.decision}`}>
                    <td>{formatDateTime(e.at, tz, locale)}</td>
                    <td>{e.machine ? space.machineName(e.machine) : t('none')}</td>
                    <td>{t(dynamicKey('decision_', e.decision, 'none'))}</td>
                    <td>
                      {describeDecision(e, t, {
                        training: space.trainingName,
                        machineTrainings: space.machineTrainings,
                      })}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <p className="muted small">
        {t('timesIn', { zone: tz })} ·{' '}
        {range &&
          `${formatCalendarDate(range.first, locale, { day: 'numeric', month: 'short' })} – ${formatCalendarDate(range.last, locale, { day: 'numeric', month: 'short', year: 'numeric' })}`}
      </p>
    </div>
  )
}
