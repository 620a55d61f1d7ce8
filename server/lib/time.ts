// Local-time rules. Storage and the wire are UTC; the space's time zone is used only for
// rules that speak of local hours (opening hours, "N days ahead"). Computed from wall
// clock parts with Intl, so DST days (23 or 25 hours) count right.

export interface LocalParts {
  year: number
  month: number
  day: number
  /** ISO weekday, 1 = Monday … 7 = Sunday. */
  weekday: number
  /** Minutes since local midnight. */
  minutes: number
}

const formatters = new Map<string, Intl.DateTimeFormat>()
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
    })
    formatters.set(timeZone, f)
  }
  return f
}

const weekdays: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 }

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone)
    return true
  } catch {
    return false
  }
}

export function localParts(at: Date, timeZone: string): LocalParts {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  )
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    weekday: weekdays[parts.weekday ?? ''] ?? 0,
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
  }
}

/** Offset of the zone from UTC at that instant, in minutes (Paris: 60 in winter, 120 in summer). */
export function offsetMinutes(at: Date, timeZone: string): number {
  const p = localParts(at, timeZone)
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, Math.floor(p.minutes / 60), p.minutes % 60)
  return Math.round((asUtc - Math.floor(at.getTime() / 60_000) * 60_000) / 60_000)
}

/** The UTC instant of a local wall-clock time (for a time skipped by DST, the instant after the gap). */
export function zonedTime(year: number, month: number, day: number, minutes: number, timeZone: string): Date {
  const guess = Date.UTC(year, month - 1, day, 0, minutes)
  // Two passes settle the offset even when the guess lands on the other side of a change.
  let at = guess - offsetMinutes(new Date(guess), timeZone) * 60_000
  at = guess - offsetMinutes(new Date(at), timeZone) * 60_000
  return new Date(at)
}

/** Start of the local day `days` after the local day of `at`. */
export function localDayStart(at: Date, timeZone: string, days = 0): Date {
  const p = localParts(at, timeZone)
  const d = new Date(Date.UTC(p.year, p.month - 1, p.day + days))
  return zonedTime(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), 0, timeZone)
}

/** "HH:MM" → minutes since midnight; "24:00" allowed as an end. */
export function parseClock(text: string): number {
  const m = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(text)
  if (!m) throw new Error(`not a time of day: ${text}`)
  const minutes = Number(m[1]) * 60 + Number(m[2])
  if (minutes > 24 * 60) throw new Error(`not a time of day: ${text}`)
  return minutes
}

/** Opening hours: ISO weekday ("1".."7") → list of ["HH:MM", "HH:MM"] local intervals. */
export type OpeningHours = Record<string, [string, string][]>

/** True when [start, end) lies within one opening interval of one local day. */
export function withinOpeningHours(start: Date, end: Date, hours: OpeningHours, timeZone: string): boolean {
  const s = localParts(start, timeZone)
  const dayStart = localDayStart(start, timeZone)
  const nextDay = localDayStart(start, timeZone, 1)
  if (end.getTime() > nextDay.getTime()) return false
  const endMinutes = end.getTime() === nextDay.getTime() ? 24 * 60 : localParts(end, timeZone).minutes
  if (end.getTime() < dayStart.getTime()) return false
  return (hours[String(s.weekday)] ?? []).some(
    ([open, close]) => parseClock(open) <= s.minutes && endMinutes <= parseClock(close),
  )
}

const pad2 = (n: number) => n.toString().padStart(2, '0')

/** "22/11/2026" and "10:05" in the zone, as French documents print them. */
export function localDateTimeText(at: Date, timeZone: string): { date: string; time: string } {
  const p = localParts(at, timeZone)
  return {
    date: `${pad2(p.day)}/${pad2(p.month)}/${p.year}`,
    time: `${pad2(Math.floor(p.minutes / 60))}:${pad2(p.minutes % 60)}`,
  }
}

/** A local calendar month, "2026-11", as the UTC instants of its first and next month's first midnight. */
export function monthPeriod(month: string, timeZone: string): { start: Date; end: Date } {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month)
  if (!m) throw new Error(`not a month (YYYY-MM): ${month}`)
  const year = Number(m[1])
  const index = Number(m[2])
  return {
    start: zonedTime(year, index, 1, 0, timeZone),
    end: zonedTime(index === 12 ? year + 1 : year, index === 12 ? 1 : index + 1, 1, 0, timeZone),
  }
}
