// The workshop, live: every machine's state (free, in use by whom and since when,
// offline, fault, out of service, to check) and power draw, and the latest badge
// decisions in words. Staff also get the demo panel when the simulator runs.
import { lazy, Suspense, useState } from 'react'
import { api, query } from '../api'
import { describeDecision, stateKey, statusKey } from '../lib/describe'
import { useLoad } from '../lib/hooks'
import { useI18n } from '../lib/i18n'
import { useDebounced, useLive, useLiveConnected } from '../lib/live'
import { useSpace } from '../lib/space'
import { formatDateTime, formatTime, localDate } from '../lib/time'
import type { AccessEvent, LiveAccessDecision, Machine } from '../lib/types'

const DemoPanel = lazy(() => import('../staff/DemoPanel'))

const MAX_DECISIONS = 15

export function Workshop() {
  const { t } = useI18n()
  const space = useSpace()
  const connected = useLiveConnected()
  const events = useLoad(
    () => api<AccessEvent[]>('GET', `/spaces/${space.slug}/access-events${query({ limit: MAX_DECISIONS })}`),
    [space.slug],
  )
  const [pushed, setPushed] = useState<AccessEvent[]>([])
  useLive<LiveAccessDecision>('access.decision', (d) => {
    if (d.machine && !space.machines.some((m) => m.slug === d.machine)) return
    setPushed((list) =>
      [
        { id: `live-${d.at}-${d.badgeUid}-${list.length}`, ...d, member: d.member && { ...d.member, email: '' } },
        ...list,
      ].slice(0, MAX_DECISIONS),
    )
  })
  // Makers receive no access.decision pushes: their own taps show after a machine change.
  const reloadSoon = useDebounced(events.reload, 500)
  useLive('machine.state', () => {
    if (!space.isStaff) reloadSoon()
  })
  const seen = new Set(pushed.map((e) => `${e.at}|${e.badgeUid}`))
  const decisions = [...pushed, ...(events.data ?? []).filter((e) => !seen.has(`${e.at}|${e.badgeUid}`))].slice(
    0,
    MAX_DECISIONS,
  )

  return (
    <div className="workshop">
      <div className="page-head">
        <h1>{t('workshopTitle')}</h1>
        <p className={`live-badge ${connected ? 'on' : 'off'}`} role="status">
          {t(connected ? 'connected' : 'disconnected')}
        </p>
      </div>
      <ul className="machine-cards" aria-label={t('machines')}>
        {space.machines.map((m) => (
          <MachineCard key={m.slug} machine={m} />
        ))}
      </ul>
      <section aria-labelledby="decisions-title" className="card">
        <h2 id="decisions-title">{t('lastDecisions')}</h2>
        {decisions.length === 0 ? (
          <p className="muted">{t('noDecisions')}</p>
        ) : (
          <ol className="decisions" aria-live="polite">
            {decisions.map((d) => (
              <li key={d.id} className={`decision ${d.decision}`}>
                <time dateTime={d.at}>{formatTime(d.at, space.timeZone)}</time>{' '}
                <span className="sentence">
                  {describeDecision(d, t, {
                    training: space.trainingName,
                    machineTrainings: space.machineTrainings,
                  })}
                </span>{' '}
                {d.machine && (
                  <span className="muted">{t('onMachine', { machine: space.machineName(d.machine) })}</span>
                )}
              </li>
            ))}
          </ol>
        )}
      </section>
      {space.isStaff && (
        <Suspense fallback={null}>
          <DemoPanel />
        </Suspense>
      )}
    </div>
  )
}

function MachineCard({ machine: m }: { machine: Machine }) {
  const { t, locale } = useI18n()
  const space = useSpace()
  const tz = space.timeZone
  const state = m.live.state
  const since = m.live.since
  const sinceText = since
    ? localDate(new Date(since), tz) === localDate(new Date(), tz)
      ? formatTime(since, tz)
      : formatDateTime(since, tz, locale)
    : null
  const display = m.status !== 'available' ? m.status : state
  return (
    <li className={`machine-card state-${display}`} data-machine={m.slug} aria-labelledby={`machine-${m.slug}`}>
      <h2 id={`machine-${m.slug}`}>{m.name}</h2>
      <p className="state" data-state={state}>
        <span className="dot" aria-hidden="true" />
        <strong>{t(stateKey(state))}</strong>
        {m.status !== 'available' && <span className="tag warn">{t(statusKey(m.status))}</span>}
      </p>
      {state === 'in_use' && (
        <p className="who">
          {m.live.member
            ? t('inUseBy', { name: m.live.member.name, time: sinceText ?? '?' })
            : t('inUseSince', { time: sinceText ?? '?' })}
        </p>
      )}
      {state !== 'in_use' && sinceText && <p className="muted">{t('since', { time: sinceText })}</p>}
      {m.live.watts !== null && m.live.watts !== undefined && state !== 'offline' && (
        <p className="watts">{t('watts', { watts: Math.round(m.live.watts) })}</p>
      )}
      {m.requiredTrainings.length > 0 && (
        <p className="muted small">
          {t('requiresTraining', { list: m.requiredTrainings.map(space.trainingName).join(', ') })}
        </p>
      )}
    </li>
  )
}
