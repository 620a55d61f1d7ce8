// The geometry of one day of the planning, pure: which hour rows it has and where an
// instant sits on it. Two scales:
// - 'elapsed' (day view): real time from the local midnight; a DST day has 23 or 25 rows
//   and every instant has exactly one place.
// - 'wall' (week view): the wall clock 00:00–24:00, so days line up side by side; the
//   hour skipped in spring is marked as a gap, the hour repeated in autumn as a repeat.
import {
  type CalendarDate,
  dayHours,
  dayRange,
  formatClock,
  instantsAt,
  wallMinutes,
  zonedToUtc,
  zoneLabel,
} from './time'

export type Scale = 'elapsed' | 'wall'

export interface Row {
  /** Minutes from the top of the column. */
  offset: number
  length: number
  label: string
  /** Extra label to tell apart the two 02:00 of autumn, e.g. 'UTC+2'. */
  detail?: string
  /** The instant the row starts; null for an hour that does not exist (spring gap). */
  start: Date | null
  mark?: 'gap' | 'repeat'
}

export interface DayModel {
  date: CalendarDate
  scale: Scale
  start: Date
  end: Date
  /** Height of the column in minutes. */
  total: number
  rows: Row[]
  /** Real length of the day in hours (23, 24 or 25). */
  hours: number
  /** Minutes from the top where an instant sits, clamped to the day. */
  position(at: Date): number
  /** The instant at a number of minutes from the top. */
  instantAt(minutes: number): Date
}

export function dayModel(date: CalendarDate, timeZone: string, scale: Scale): DayModel {
  const { start, end } = dayRange(date, timeZone)
  const hours = (end.getTime() - start.getTime()) / 3_600_000
  if (scale === 'elapsed') {
    const list = dayHours(date, timeZone)
    const counts = new Map<string, number>()
    for (const h of list) counts.set(h.label, (counts.get(h.label) ?? 0) + 1)
    const rows: Row[] = list.map((h) => ({
      offset: h.offset,
      length: h.length,
      label: h.label,
      start: h.start,
      ...((counts.get(h.label) ?? 0) > 1 ? { detail: zoneLabel(h.start, timeZone), mark: 'repeat' as const } : {}),
    }))
    const total = hours * 60
    return {
      date,
      scale,
      start,
      end,
      total,
      rows,
      hours,
      position: (at) => Math.min(total, Math.max(0, (at.getTime() - start.getTime()) / 60_000)),
      instantAt: (minutes) => new Date(start.getTime() + minutes * 60_000),
    }
  }
  const rows: Row[] = []
  for (let h = 0; h < 24; h++) {
    const found = instantsAt(date, h * 60, timeZone)
    rows.push({
      offset: h * 60,
      length: 60,
      label: formatClock(h * 60),
      // A gap's row starts at the instant the clocks jumped to.
      start: found[0] ?? null,
      ...(found.length === 0 ? { mark: 'gap' as const } : found.length > 1 ? { mark: 'repeat' as const } : {}),
    })
  }
  return {
    date,
    scale,
    start,
    end,
    total: 1440,
    rows,
    hours,
    position: (at) => {
      if (at.getTime() <= start.getTime()) return 0
      if (at.getTime() >= end.getTime()) return 1440
      return wallMinutes(at, timeZone)
    },
    instantAt: (minutes) => zonedToUtc(date, minutes, timeZone),
  }
}

/** Top and height (in minutes) of [from, to) on a day, or null when it misses the day. */
export function blockOnDay(day: DayModel, from: Date, to: Date): { top: number; height: number } | null {
  if (to.getTime() <= day.start.getTime() || from.getTime() >= day.end.getTime()) return null
  const top = day.position(from)
  const bottom = day.position(to)
  // Wall scale across the autumn repeat can run backwards: keep at least a visible sliver.
  return { top, height: Math.max(bottom - top, 15) }
}

/** Snaps minutes to a grid (15 by default), within [0, max]. */
export function snap(minutes: number, max: number, step = 15): number {
  return Math.min(max, Math.max(0, Math.round(minutes / step) * step))
}
