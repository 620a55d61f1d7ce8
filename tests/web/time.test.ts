// The planning's time-zone math (web/src/lib/time.ts, web/src/lib/planning.ts): hours
// shown for a day and local slots to UTC and back, in the SPACE's zone whatever the
// machine's own zone is, with the Europe/Paris DST days of 2026 (29 March: 23 hours,
// 25 October: 25 hours).
import { describe, expect, it } from 'vitest'
import { blockOnDay, dayModel, snap } from '../../web/src/lib/planning.js'
import {
  addDays,
  dayHours,
  dayLengthHours,
  dayRange,
  formatCalendarDate,
  formatTime,
  fromLocalFields,
  instantsAt,
  lastValidDate,
  localDate,
  offsetMinutes,
  splitByLocalDay,
  toLocalFields,
  wallMinutes,
  weekStart,
  zonedToUtc,
} from '../../web/src/lib/time.js'

const PARIS = 'Europe/Paris'
const labels = (date: string, tz = PARIS) => dayHours(date, tz).map((h) => h.label)
const iso = (d: Date) => d.toISOString()

describe('hours shown for a day in Europe/Paris', () => {
  it('an ordinary day has the 24 hours 00:00 … 23:00', () => {
    expect(dayLengthHours('2026-06-15', PARIS)).toBe(24)
    expect(labels('2026-06-15')).toEqual(Array.from({ length: 24 }, (_, h) => `${String(h).padStart(2, '0')}:00`))
  })

  it('29 March 2026 has 23 hours: 02:00 does not exist', () => {
    expect(dayLengthHours('2026-03-29', PARIS)).toBe(23)
    const hours = labels('2026-03-29')
    expect(hours).toHaveLength(23)
    expect(hours.slice(0, 4)).toEqual(['00:00', '01:00', '03:00', '04:00'])
    expect(hours).not.toContain('02:00')
    expect(hours.at(-1)).toBe('23:00')
    // Each row is one real hour after the previous one.
    const rows = dayHours('2026-03-29', PARIS)
    expect(rows.map((r) => r.offset)).toEqual(Array.from({ length: 23 }, (_, i) => i * 60))
    expect(iso(rows[2]!.start)).toBe('2026-03-29T01:00:00.000Z')
    expect(rows[1]!.utcOffset).toBe(60)
    expect(rows[2]!.utcOffset).toBe(120)
  })

  it('25 October 2026 has 25 hours: 02:00 comes twice, first in summer time', () => {
    expect(dayLengthHours('2026-10-25', PARIS)).toBe(25)
    const rows = dayHours('2026-10-25', PARIS)
    expect(rows).toHaveLength(25)
    expect(rows.slice(0, 5).map((r) => r.label)).toEqual(['00:00', '01:00', '02:00', '02:00', '03:00'])
    expect(rows.filter((r) => r.label === '02:00').map((r) => [iso(r.start), r.utcOffset])).toEqual([
      ['2026-10-25T00:00:00.000Z', 120],
      ['2026-10-25T01:00:00.000Z', 60],
    ])
    expect(rows.at(-1)!.label).toBe('23:00')
    expect(rows.at(-1)!.offset).toBe(24 * 60)
  })

  it('the days around them keep 24 hours and start at local midnight', () => {
    for (const date of ['2026-03-28', '2026-03-30', '2026-10-24', '2026-10-26']) {
      expect(dayLengthHours(date, PARIS)).toBe(24)
    }
    expect(iso(dayRange('2026-03-29', PARIS).start)).toBe('2026-03-28T23:00:00.000Z')
    expect(iso(dayRange('2026-03-29', PARIS).end)).toBe('2026-03-29T22:00:00.000Z')
    expect(iso(dayRange('2026-10-25', PARIS).start)).toBe('2026-10-24T22:00:00.000Z')
    expect(iso(dayRange('2026-10-25', PARIS).end)).toBe('2026-10-25T23:00:00.000Z')
  })

  it('other zones too: New York changes on other days, Tokyo never', () => {
    expect(dayLengthHours('2026-03-08', 'America/New_York')).toBe(23)
    expect(dayLengthHours('2026-11-01', 'America/New_York')).toBe(25)
    expect(dayLengthHours('2026-03-29', 'America/New_York')).toBe(24)
    expect(dayLengthHours('2026-03-29', 'Asia/Tokyo')).toBe(24)
  })
})

describe('a local slot to UTC and back', () => {
  it('10:00–11:00 on an ordinary winter and summer day', () => {
    expect(iso(fromLocalFields('2026-01-15', '10:00', PARIS))).toBe('2026-01-15T09:00:00.000Z')
    expect(iso(fromLocalFields('2026-07-15', '10:00', PARIS))).toBe('2026-07-15T08:00:00.000Z')
    expect(toLocalFields(new Date('2026-07-15T08:00:00Z'), PARIS)).toEqual({ date: '2026-07-15', time: '10:00' })
  })

  it('on 29 March: 01:30 is winter time, 03:30 summer time, and the two are one hour apart', () => {
    const before = fromLocalFields('2026-03-29', '01:30', PARIS)
    const after = fromLocalFields('2026-03-29', '03:30', PARIS)
    expect(iso(before)).toBe('2026-03-29T00:30:00.000Z')
    expect(iso(after)).toBe('2026-03-29T01:30:00.000Z')
    expect(after.getTime() - before.getTime()).toBe(3_600_000)
    expect(toLocalFields(before, PARIS)).toEqual({ date: '2026-03-29', time: '01:30' })
    expect(toLocalFields(after, PARIS)).toEqual({ date: '2026-03-29', time: '03:30' })
  })

  it('on 29 March: 02:30 does not exist and reads as 03:30, like the clocks', () => {
    expect(instantsAt('2026-03-29', 150, PARIS)).toEqual([])
    const skipped = zonedToUtc('2026-03-29', 150, PARIS)
    expect(iso(skipped)).toBe('2026-03-29T01:30:00.000Z')
    expect(formatTime(skipped, PARIS)).toBe('03:30')
  })

  it('on 25 October: 02:30 happens twice; the first by default, the second on request', () => {
    expect(instantsAt('2026-10-25', 150, PARIS).map(iso)).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T01:30:00.000Z',
    ])
    expect(iso(zonedToUtc('2026-10-25', 150, PARIS))).toBe('2026-10-25T00:30:00.000Z')
    expect(iso(zonedToUtc('2026-10-25', 150, PARIS, true))).toBe('2026-10-25T01:30:00.000Z')
    for (const t of ['2026-10-25T00:30:00Z', '2026-10-25T01:30:00Z']) {
      expect(toLocalFields(new Date(t), PARIS)).toEqual({ date: '2026-10-25', time: '02:30' })
    }
    expect(offsetMinutes(new Date('2026-10-25T00:30:00Z'), PARIS)).toBe(120)
    expect(offsetMinutes(new Date('2026-10-25T01:30:00Z'), PARIS)).toBe(60)
  })

  it('a 01:00–04:00 slot lasts 2 hours on 29 March and 4 hours on 25 October', () => {
    const length = (date: string) =>
      (fromLocalFields(date, '04:00', PARIS).getTime() - fromLocalFields(date, '01:00', PARIS).getTime()) / 3_600_000
    expect(length('2026-03-29')).toBe(2)
    expect(length('2026-10-25')).toBe(4)
    expect(length('2026-06-15')).toBe(3)
  })

  it('every quarter hour of both DST days goes to UTC and back unchanged (when it exists)', () => {
    for (const date of ['2026-03-29', '2026-10-25']) {
      for (let m = 0; m < 1440; m += 15) {
        const at = zonedToUtc(date, m, PARIS)
        const back = toLocalFields(at, PARIS)
        if (date === '2026-03-29' && m >= 120 && m < 180) {
          expect(back.time).toBe(`03:${String(m % 60).padStart(2, '0')}`)
          continue
        }
        expect(back.date).toBe(date)
        expect(back.time).toBe(`${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`)
      }
    }
  })

  it('does not depend on the zone of the computer running it', () => {
    // The test process runs in whatever TZ; only the space's zone matters.
    expect(iso(fromLocalFields('2026-03-29', '10:00', PARIS))).toBe('2026-03-29T08:00:00.000Z')
    expect(iso(fromLocalFields('2026-03-29', '10:00', 'America/New_York'))).toBe('2026-03-29T14:00:00.000Z')
    expect(iso(fromLocalFields('2026-03-29', '10:00', 'Asia/Tokyo'))).toBe('2026-03-29T01:00:00.000Z')
  })
})

describe('calendar helpers', () => {
  it('adds days across months, years and DST changes, and finds Mondays', () => {
    expect(addDays('2026-03-28', 1)).toBe('2026-03-29')
    expect(addDays('2026-03-29', 1)).toBe('2026-03-30')
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01')
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28')
    expect(weekStart('2026-03-29')).toBe('2026-03-23')
    expect(weekStart('2026-10-26')).toBe('2026-10-26')
  })

  it('gives the local date of an instant and splits a range per local day', () => {
    expect(localDate(new Date('2026-03-28T23:30:00Z'), PARIS)).toBe('2026-03-29')
    expect(localDate(new Date('2026-03-28T23:30:00Z'), 'UTC')).toBe('2026-03-28')
    const pieces = splitByLocalDay(new Date('2026-10-24T20:00:00Z'), new Date('2026-10-26T01:00:00Z'), PARIS)
    expect(pieces.map((p) => [p.date, (p.end.getTime() - p.start.getTime()) / 3_600_000])).toEqual([
      ['2026-10-24', 2],
      ['2026-10-25', 25],
      ['2026-10-26', 2],
    ])
  })

  it('formats days in French and English, and an expiry at midnight as the day before', () => {
    expect(formatCalendarDate('2026-03-29', 'fr-FR')).toBe('dimanche 29 mars 2026')
    expect(formatCalendarDate('2026-10-25', 'en-GB')).toMatch(/^Sunday,? 25 October 2026$/)
    expect(lastValidDate('2026-04-01T22:00:00.000Z', PARIS)).toBe('2026-04-01')
    expect(lastValidDate(dayRange('2026-04-02', PARIS).start, PARIS)).toBe('2026-04-01')
  })
})

describe('planning geometry', () => {
  it('day view (elapsed): 23 rows on 29 March, a booking 01:30–03:30 is one hour tall', () => {
    const day = dayModel('2026-03-29', PARIS, 'elapsed')
    expect(day.total).toBe(23 * 60)
    expect(day.rows.map((r) => r.label)).toEqual(labels('2026-03-29'))
    const block = blockOnDay(
      day,
      fromLocalFields('2026-03-29', '01:30', PARIS),
      fromLocalFields('2026-03-29', '03:30', PARIS),
    )
    expect(block).toEqual({ top: 90, height: 60 })
    // Clicking 10:00 on that day gives 10:00 local.
    const ten = day.rows.find((r) => r.label === '10:00')!
    expect(formatTime(day.instantAt(ten.offset), PARIS)).toBe('10:00')
  })

  it('day view (elapsed): 25 rows on 25 October, the two 02:00 told apart by their offset', () => {
    const day = dayModel('2026-10-25', PARIS, 'elapsed')
    expect(day.total).toBe(25 * 60)
    expect(day.rows.filter((r) => r.label === '02:00').map((r) => [r.detail, r.mark])).toEqual([
      ['UTC+2', 'repeat'],
      ['UTC+1', 'repeat'],
    ])
    const second = day.rows[3]!
    expect(iso(day.instantAt(second.offset))).toBe('2026-10-25T01:00:00.000Z')
  })

  it('week view (wall clock): 24 rows, the skipped hour a gap, the repeated one marked', () => {
    const spring = dayModel('2026-03-29', PARIS, 'wall')
    expect(spring.rows).toHaveLength(24)
    expect(spring.rows[2]).toMatchObject({ label: '02:00', mark: 'gap' })
    expect(spring.rows.filter((r) => r.mark)).toHaveLength(1)
    const autumn = dayModel('2026-10-25', PARIS, 'wall')
    expect(autumn.rows[2]).toMatchObject({ label: '02:00', mark: 'repeat' })
    expect(wallMinutes(fromLocalFields('2026-10-25', '10:00', PARIS), PARIS)).toBe(600)
    expect(autumn.position(fromLocalFields('2026-10-25', '10:00', PARIS))).toBe(600)
    expect(iso(autumn.instantAt(600))).toBe('2026-10-25T09:00:00.000Z')
    expect(snap(607, 1440)).toBe(600)
    expect(snap(1500, 1440)).toBe(1440)
  })

  it('a booking on another day does not show', () => {
    const day = dayModel('2026-03-29', PARIS, 'elapsed')
    const nextDay = dayRange(addDays('2026-03-29', 1), PARIS).start
    expect(blockOnDay(day, nextDay, new Date(nextDay.getTime() + 3_600_000))).toBeNull()
  })
})
