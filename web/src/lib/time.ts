// Time-zone math for the planning, pure and dependency-free: every instant is a UTC Date,
// every wall-clock value belongs to the SPACE's time zone (never the browser's). Local
// calendar days are 'YYYY-MM-DD' strings. Built on Intl.DateTimeFormat only, so DST days
// (23 or 25 hours in Europe/Paris) come out right.

/** A local calendar day, 'YYYY-MM-DD'. */
export type CalendarDate = string

export interface WallClock {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  /** ISO weekday: 1 = Monday … 7 = Sunday. */
  weekday: number
}

const MINUTE = 60_000
const HOUR = 60 * MINUTE

const partsFormatters = new Map<string, Intl.DateTimeFormat>()
function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = partsFormatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      weekday: 'short',
    })
    partsFormatters.set(timeZone, f)
  }
  return f
}

const weekdays: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 }

export function isValidTimeZone(timeZone: string): boolean {
  try {
    partsFormatter(timeZone)
    return true
  } catch {
    return false
  }
}

/** The wall clock of the zone at an instant. */
export function wallClock(at: Date, timeZone: string): WallClock {
  const p: Record<string, string> = {}
  for (const part of partsFormatter(timeZone).formatToParts(at)) p[part.type] = part.value
  return {
    year: Number(p.year),
    month: Number(p.month),
    day: Number(p.day),
    hour: Number(p.hour) % 24,
    minute: Number(p.minute),
    weekday: weekdays[p.weekday ?? ''] ?? 0,
  }
}

/** Offset of the zone from UTC at an instant, in minutes (Paris: 60 in winter, 120 in summer). */
export function offsetMinutes(at: Date, timeZone: string): number {
  const w = wallClock(at, timeZone)
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute)
  return Math.round((asUtc - Math.floor(at.getTime() / MINUTE) * MINUTE) / MINUTE)
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

export function calendarDate(year: number, month: number, day: number): CalendarDate {
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`
}

export function parseCalendarDate(date: CalendarDate): { year: number; month: number; day: number } {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date)
  if (!m) throw new Error(`not a date: ${date}`)
  return { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) }
}

/** 'HH:MM' → minutes since midnight ('24:00' allowed as an end). */
export function parseClock(text: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text.trim())
  if (!m) throw new Error(`not a time of day: ${text}`)
  const minutes = Number(m[1]) * 60 + Number(m[2])
  if (Number(m[2]) > 59 || minutes > 24 * 60) throw new Error(`not a time of day: ${text}`)
  return minutes
}

export function formatClock(minutes: number): string {
  return `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`
}

/** Calendar arithmetic on local days (no time zone involved). */
export function addDays(date: CalendarDate, days: number): CalendarDate {
  const { year, month, day } = parseCalendarDate(date)
  const d = new Date(Date.UTC(year, month - 1, day + days))
  return calendarDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate())
}

/** ISO weekday of a calendar day, 1 = Monday. */
export function weekdayOf(date: CalendarDate): number {
  const { year, month, day } = parseCalendarDate(date)
  return ((new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 6) % 7) + 1
}

/** The Monday of the week holding this day. */
export function weekStart(date: CalendarDate): CalendarDate {
  return addDays(date, 1 - weekdayOf(date))
}

/** The local calendar day of an instant in the zone. */
export function localDate(at: Date, timeZone: string): CalendarDate {
  const w = wallClock(at, timeZone)
  return calendarDate(w.year, w.month, w.day)
}

/** Minutes since local midnight on the wall clock (an hour repeated in autumn reads the same twice). */
export function wallMinutes(at: Date, timeZone: string): number {
  const w = wallClock(at, timeZone)
  return w.hour * 60 + w.minute
}

/** Every UTC instant showing exactly this wall-clock time: 0 (skipped by DST), 1, or 2 (repeated). */
export function instantsAt(date: CalendarDate, minutes: number, timeZone: string): Date[] {
  const { year, month, day } = parseCalendarDate(date)
  const guess = Date.UTC(year, month - 1, day, 0, minutes)
  // Offsets in force within ±1 day of the guess: a change of offset happens at most once there.
  const offsets = new Set<number>([
    offsetMinutes(new Date(guess - 26 * HOUR), timeZone),
    offsetMinutes(new Date(guess), timeZone),
    offsetMinutes(new Date(guess + 26 * HOUR), timeZone),
  ])
  const wanted = wallOf(guess)
  const found = [...offsets]
    .map((o) => guess - o * MINUTE)
    .filter((t) => wallOf(t, timeZone) === wanted)
    .sort((a, b) => a - b)
  return [...new Set(found)].map((t) => new Date(t))
}

function wallOf(t: number, timeZone?: string): string {
  if (!timeZone) {
    const d = new Date(t)
    return `${calendarDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate())} ${formatClock(d.getUTCHours() * 60 + d.getUTCMinutes())}`
  }
  const w = wallClock(new Date(t), timeZone)
  return `${calendarDate(w.year, w.month, w.day)} ${formatClock(w.hour * 60 + w.minute)}`
}

/**
 * The UTC instant of a local wall-clock time in the zone. A time repeated in autumn gives
 * its first occurrence (or the second with `later`); a time skipped in spring gives the
 * instant the same distance after the gap's start (02:30 → 03:30 in Paris), as clocks do.
 * `minutes` may be 1440 (the next day's midnight) or more.
 */
export function zonedToUtc(date: CalendarDate, minutes: number, timeZone: string, later = false): Date {
  const day = addDays(date, Math.floor(minutes / 1440))
  const m = ((minutes % 1440) + 1440) % 1440
  const found = instantsAt(day, m, timeZone)
  if (found.length) return (later ? found[found.length - 1] : found[0])!
  // In a gap: read it with the offset in force just before the change.
  const { year, month, day: d } = parseCalendarDate(day)
  const guess = Date.UTC(year, month - 1, d, 0, m)
  const before = offsetMinutes(new Date(guess - 26 * HOUR), timeZone)
  return new Date(guess - before * MINUTE)
}

/** Start of the local day (usually 00:00; on days where midnight is skipped, the first instant). */
export function dayStart(date: CalendarDate, timeZone: string): Date {
  return zonedToUtc(date, 0, timeZone)
}

/** Start and end (the next day's start) of a local day. */
export function dayRange(date: CalendarDate, timeZone: string): { start: Date; end: Date } {
  return { start: dayStart(date, timeZone), end: dayStart(addDays(date, 1), timeZone) }
}

/** Real length of the local day in hours: 24, or 23 / 25 on DST days. */
export function dayLengthHours(date: CalendarDate, timeZone: string): number {
  const { start, end } = dayRange(date, timeZone)
  return (end.getTime() - start.getTime()) / HOUR
}

export interface HourRow {
  /** The UTC instant the row starts. */
  start: Date
  /** Wall-clock label 'HH:MM'. */
  label: string
  /** Minutes since the start of the local day, in real elapsed time. */
  offset: number
  /** Real length of the row in minutes (60, except around unusual offset changes). */
  length: number
  /** Offset of the zone from UTC during this hour (to tell the two 02:00 of autumn apart). */
  utcOffset: number
}

/**
 * The hours of a local day as the space's clocks show them, one row per full hour on the
 * wall clock, in real time order: 23 rows on the spring DST day in Paris (no 02:00), 25 in
 * autumn (02:00 twice, the first in summer time).
 */
export function dayHours(date: CalendarDate, timeZone: string): HourRow[] {
  const { start, end } = dayRange(date, timeZone)
  const starts: number[] = []
  for (let t = start.getTime(); t < end.getTime(); t += 15 * MINUTE) {
    if (t === start.getTime() || wallMinutes(new Date(t), timeZone) % 60 === 0) starts.push(t)
  }
  return starts.map((t, i) => {
    const at = new Date(t)
    const next = starts[i + 1] ?? end.getTime()
    return {
      start: at,
      label: formatClock(wallMinutes(at, timeZone)),
      offset: (t - start.getTime()) / MINUTE,
      length: (next - t) / MINUTE,
      utcOffset: offsetMinutes(at, timeZone),
    }
  })
}

/** Local date and time fields for a form, from an instant. */
export function toLocalFields(at: Date, timeZone: string): { date: CalendarDate; time: string } {
  const w = wallClock(at, timeZone)
  return { date: calendarDate(w.year, w.month, w.day), time: formatClock(w.hour * 60 + w.minute) }
}

/** The instant of local date and time fields from a form. */
export function fromLocalFields(date: CalendarDate, time: string, timeZone: string): Date {
  return zonedToUtc(date, parseClock(time), timeZone)
}

/** Local calendar days [from, to) of a range of instants, e.g. to group sessions per day. */
export function splitByLocalDay(
  start: Date,
  end: Date,
  timeZone: string,
): { date: CalendarDate; start: Date; end: Date }[] {
  const pieces: { date: CalendarDate; start: Date; end: Date }[] = []
  let date = localDate(start, timeZone)
  let cursor = start
  while (cursor.getTime() < end.getTime()) {
    const next = dayStart(addDays(date, 1), timeZone)
    const pieceEnd = next.getTime() < end.getTime() ? next : end
    pieces.push({ date, start: cursor, end: pieceEnd })
    cursor = pieceEnd
    date = addDays(date, 1)
  }
  return pieces
}

const displayFormatters = new Map<string, Intl.DateTimeFormat>()
function display(locale: string, timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${timeZone}|${JSON.stringify(options)}`
  let f = displayFormatters.get(key)
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { timeZone, ...options })
    displayFormatters.set(key, f)
  }
  return f
}

/** '14:05' in the zone. */
export function formatTime(at: Date | string, timeZone: string): string {
  const d = typeof at === 'string' ? new Date(at) : at
  return formatClock(wallMinutes(d, timeZone))
}

/** A date and time for people: 'lun. 30 mars, 14:05' (fr) / 'Mon, Mar 30, 14:05' (en). */
export function formatDateTime(at: Date | string, timeZone: string, locale: string): string {
  const d = typeof at === 'string' ? new Date(at) : at
  return display(locale, timeZone, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(d)
}

/** A calendar day for people: 'lundi 30 mars 2026'. Noon UTC of that day reads the same date everywhere. */
export function formatCalendarDate(
  date: CalendarDate,
  locale: string,
  options: Intl.DateTimeFormatOptions = { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' },
): string {
  const { year, month, day } = parseCalendarDate(date)
  return display(locale, 'UTC', options).format(new Date(Date.UTC(year, month - 1, day, 12)))
}

/** The zone's short name at an instant, e.g. 'UTC+2' / 'GMT+2'. */
export function zoneLabel(at: Date, timeZone: string): string {
  const o = offsetMinutes(at, timeZone)
  const sign = o < 0 ? '−' : '+'
  const abs = Math.abs(o)
  return `UTC${sign}${Math.floor(abs / 60)}${abs % 60 ? `:${pad(abs % 60)}` : ''}`
}

/** A duration for people: '1 h 05', '12 min'. */
export function formatDuration(seconds: number): string {
  const minutes = Math.round(seconds / 60)
  if (minutes < 60) return `${minutes} min`
  return `${Math.floor(minutes / 60)} h ${pad(minutes % 60)}`
}

/** The last local day a validity ending at `expiresAt` covers (an expiry at midnight belongs to the day before). */
export function lastValidDate(expiresAt: Date | string, timeZone: string): CalendarDate {
  const d = typeof expiresAt === 'string' ? new Date(expiresAt) : expiresAt
  return localDate(new Date(d.getTime() - 1), timeZone)
}
