import { describe, expect, it } from 'vitest'
import { localDayStart, localParts, offsetMinutes, withinOpeningHours, zonedTime } from '../../server/lib/time.js'

const tz = 'Europe/Paris'
describe('local time rules', () => {
  it('knows the Paris offset on both sides of the DST changes', () => {
    expect(offsetMinutes(new Date('2027-03-28T00:59:00Z'), tz)).toBe(60)
    expect(offsetMinutes(new Date('2027-03-28T01:00:00Z'), tz)).toBe(120)
    expect(offsetMinutes(new Date('2026-10-25T00:59:00Z'), tz)).toBe(120)
    expect(offsetMinutes(new Date('2026-10-25T01:00:00Z'), tz)).toBe(60)
  })

  it('finds local midnight on days of 23 and 25 hours', () => {
    const spring = localDayStart(new Date('2027-03-28T12:00:00Z'), tz)
    expect(spring.toISOString()).toBe('2027-03-27T23:00:00.000Z')
    expect(localDayStart(spring, tz, 1).getTime() - spring.getTime()).toBe(23 * 3_600_000)
    const autumn = localDayStart(new Date('2026-10-25T12:00:00Z'), tz)
    expect(autumn.toISOString()).toBe('2026-10-24T22:00:00.000Z')
    expect(localDayStart(autumn, tz, 1).getTime() - autumn.getTime()).toBe(25 * 3_600_000)
  })

  it('maps local wall times to UTC, skipping the spring gap', () => {
    expect(zonedTime(2027, 3, 28, 9 * 60, tz).toISOString()).toBe('2027-03-28T07:00:00.000Z')
    expect(zonedTime(2027, 1, 10, 9 * 60, tz).toISOString()).toBe('2027-01-10T08:00:00.000Z')
    expect(zonedTime(2027, 3, 28, 2 * 60 + 30, tz).toISOString()).toBe('2027-03-28T01:30:00.000Z')
    expect(localParts(new Date('2027-03-28T07:00:00Z'), tz)).toMatchObject({ weekday: 7, minutes: 540 })
  })

  it('checks opening hours in local time, across midnight and DST', () => {
    const hours = { '7': [['09:00', '19:00']] as [string, string][], '6': [['20:00', '24:00']] as [string, string][] }
    expect(withinOpeningHours(new Date('2027-03-28T07:00:00Z'), new Date('2027-03-28T17:00:00Z'), hours, tz)).toBe(true)
    expect(withinOpeningHours(new Date('2027-03-28T06:59:00Z'), new Date('2027-03-28T08:00:00Z'), hours, tz)).toBe(
      false,
    )
    // Saturday 22:00 to midnight local is inside; running into Sunday is not.
    expect(withinOpeningHours(new Date('2027-03-27T21:00:00Z'), new Date('2027-03-27T23:00:00Z'), hours, tz)).toBe(true)
    expect(withinOpeningHours(new Date('2027-03-27T21:00:00Z'), new Date('2027-03-28T00:00:00Z'), hours, tz)).toBe(
      false,
    )
  })
})
