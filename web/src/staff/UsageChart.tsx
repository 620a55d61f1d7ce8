// Machine use per local day as an inline SVG stacked bar chart (no chart library).
import { useI18n } from '../lib/i18n'
import { addDays, type CalendarDate, formatCalendarDate } from '../lib/time'

const colors = ['#2f6fdb', '#e07b16', '#2a9d57', '#a23fc1', '#c53b3b', '#158a94', '#7a6a12']
const W = 720
const H = 220
const PAD = { top: 26, right: 12, bottom: 34, left: 40 }

export interface ChartDay {
  date: string
  machine: string
  seconds: number
  sessions: number
}

/** Days from first to last (inclusive), each with hours per machine. */
export function chartSeries(data: ChartDay[], first: CalendarDate, last: CalendarDate, machines: string[]) {
  const days: CalendarDate[] = []
  for (let d = first; d <= last && days.length < 400; d = addDays(d, 1)) days.push(d)
  const hours = new Map(data.map((x) => [`${x.date}|${x.machine}`, x.seconds / 3600]))
  return days.map((date) => ({
    date,
    values: machines.map((m) => hours.get(`${date}|${m}`) ?? 0),
  }))
}

/** A round maximum for the axis: 1, 2, 5, 10… hours. */
export function niceMax(value: number): number {
  if (value <= 0) return 1
  const p = 10 ** Math.floor(Math.log10(value))
  for (const m of [1, 2, 5, 10]) if (value <= m * p) return m * p
  return 10 * p
}

export function UsageChart({
  data,
  first,
  last,
  machines,
}: {
  data: ChartDay[]
  first: CalendarDate
  last: CalendarDate
  machines: { slug: string; name: string }[]
}) {
  const { t, locale } = useI18n()
  const series = chartSeries(
    data,
    first,
    last,
    machines.map((m) => m.slug),
  )
  const hourTotals = series.map((d) => d.values.reduce((a, b) => a + b, 0))
  // Under an hour a day, the axis counts minutes.
  const inMinutes = Math.max(0, ...hourTotals) < 1
  const scale = inMinutes ? 60 : 1
  const totals = hourTotals.map((h) => h * scale)
  const max = niceMax(Math.max(0, ...totals))
  const plotW = W - PAD.left - PAD.right
  const plotH = H - PAD.top - PAD.bottom
  const slot = plotW / Math.max(1, series.length)
  const bar = Math.max(2, Math.min(40, slot * 0.7))
  const y = (h: number) => PAD.top + plotH - (h / max) * plotH
  const labelEvery = Math.ceil(series.length / 12)
  const fmt = (v: number) =>
    v === 0 || v >= 1
      ? (v >= 10 ? Math.round(v) : Math.round(v * 10) / 10).toLocaleString(locale)
      : v.toLocaleString(locale, { maximumSignificantDigits: 2 })
  const amount = (hours: number) =>
    inMinutes ? t('minutes', { minutes: fmt(hours * 60) }) : t('hours', { hours: fmt(hours) })
  const total = totals.reduce((a, b) => a + b, 0)
  const summary = machines
    .map((m, i) => `${m.name} : ${amount(series.reduce((a, d) => a + (d.values[i] ?? 0), 0))}`)
    .join(', ')

  if (total === 0) return <p className="muted">{t('chartEmpty')}</p>
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="chart-svg-title" preserveAspectRatio="xMidYMid meet">
        <title id="chart-svg-title">{`${t('chartTitle')} — ${summary}`}</title>
        <text x={PAD.left - 6} y={12} textAnchor="end" className="tick unit">
          {inMinutes ? 'min' : 'h'}
        </text>
        {[0, max / 2, max].map((v) => (
          <g key={v}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} className="gridline" />
            <text x={PAD.left - 6} y={y(v) + 4} textAnchor="end" className="tick">
              {fmt(v)}
            </text>
          </g>
        ))}
        {series.map((d, i) => {
          const x = PAD.left + i * slot + (slot - bar) / 2
          let acc = 0
          return (
            <g key={d.date} data-date={d.date}>
              {d.values.map((v, j) => {
                if (v <= 0) return null
                const top = y(acc + v * scale)
                const height = y(acc) - top
                acc += v * scale
                return (
                  <rect
                    key={machines[j]!.slug}
                    x={x}
                    y={top}
                    width={bar}
                    height={Math.max(height, 1)}
                    fill={colors[j % colors.length]}
                  >
                    <title>{`${formatCalendarDate(d.date, locale, { day: 'numeric', month: 'short' })} — ${machines[j]!.name} : ${amount(v)}`}</title>
                  </rect>
                )
              })}
              {i % labelEvery === 0 && (
                <text x={x + bar / 2} y={H - PAD.bottom + 16} textAnchor="middle" className="tick">
                  {formatCalendarDate(d.date, locale, { day: 'numeric', month: 'numeric' })}
                </text>
              )}
            </g>
          )
        })}
      </svg>
      <figcaption className="chart-legend">
        {machines.map((m, j) => (
          <span key={m.slug}>
            <span className="swatch" style={{ background: colors[j % colors.length] }} aria-hidden="true" /> {m.name}
          </span>
        ))}
      </figcaption>
    </figure>
  )
}
