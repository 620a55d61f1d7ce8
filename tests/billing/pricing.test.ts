// The price of a session, rule by rule (protocol/pricing.ts): wall time in real
// elapsed seconds (midnight and DST changes count as the time that passed), step rounding,
// half-up cents, minimum charge, busy-only billing, zero-length sessions, VAT per line.
import { describe, expect, it } from 'vitest'
import { formatMoney, inclVat, priceSession, type RateTerms, vatOf } from '../../protocol/pricing.js'
import { zonedTime } from '../../server/lib/time.js'

const perMinute: RateTerms = { centsPerHour: 600, stepMinutes: 1, minimumCents: 0, billBusyOnly: false }
const paris = (y: number, mo: number, d: number, h: number, mi: number) =>
  zonedTime(y, mo, d, h * 60 + mi, 'Europe/Paris')
const session = (startedAt: Date, endedAt: Date, busySeconds: number | null = null) => ({
  startedAt,
  endedAt,
  busySeconds,
})
const minutes = (n: number) => n * 60_000
const at = new Date('2026-11-10T09:00:00Z')

describe('session price', () => {
  it('bills a session across midnight for the time that passed', () => {
    const price = priceSession(session(paris(2026, 11, 21, 23, 30), paris(2026, 11, 22, 0, 45)), perMinute)
    expect(price).toEqual({ billedSeconds: 75 * 60, billedMinutes: 75, amountCents: 750 })
  })

  it('bills the real hours across the autumn DST change (01:30 → 03:30 local is 3 hours)', () => {
    const start = paris(2026, 10, 25, 1, 30)
    const end = paris(2026, 10, 25, 3, 30)
    expect(end.getTime() - start.getTime()).toBe(3 * 3_600_000)
    expect(priceSession(session(start, end), perMinute).amountCents).toBe(1800)
  })

  it('bills the real hour across the spring DST change (01:30 → 03:30 local is 1 hour)', () => {
    const price = priceSession(session(paris(2026, 3, 29, 1, 30), paris(2026, 3, 29, 3, 30)), perMinute)
    expect(price.billedMinutes).toBe(60)
    expect(price.amountCents).toBe(600)
  })

  it('rounds up to the started minute', () => {
    expect(priceSession(session(at, new Date(at.getTime() + 61_000)), perMinute).billedMinutes).toBe(2)
    expect(priceSession(session(at, new Date(at.getTime() + 60_000)), perMinute).billedMinutes).toBe(1)
  })

  it('rounds up to the started quarter hour', () => {
    const quarter = { ...perMinute, stepMinutes: 15 }
    expect(priceSession(session(at, new Date(at.getTime() + minutes(15))), quarter).billedMinutes).toBe(15)
    expect(priceSession(session(at, new Date(at.getTime() + minutes(15) + 1000)), quarter).billedMinutes).toBe(30)
    expect(priceSession(session(at, new Date(at.getTime() + minutes(16))), quarter).amountCents).toBe(300)
  })

  it('rounds the amount half up to the cent', () => {
    const oneMinute = session(at, new Date(at.getTime() + 60_000))
    expect(priceSession(oneMinute, { ...perMinute, centsPerHour: 1000 }).amountCents).toBe(17) // 16.67
    expect(priceSession(oneMinute, { ...perMinute, centsPerHour: 30 }).amountCents).toBe(1) // 0.5
    expect(priceSession(oneMinute, { ...perMinute, centsPerHour: 29 }).amountCents).toBe(0) // 0.48
  })

  it('applies the minimum charge to a short session', () => {
    const short = session(at, new Date(at.getTime() + minutes(5)))
    expect(priceSession(short, { ...perMinute, minimumCents: 200 }).amountCents).toBe(200)
    const long = session(at, new Date(at.getTime() + minutes(60)))
    expect(priceSession(long, { ...perMinute, minimumCents: 200 }).amountCents).toBe(600)
  })

  it('bills only the measured busy time when the rate says so', () => {
    const busyOnly = { ...perMinute, billBusyOnly: true }
    const hour = (busy: number | null) => session(at, new Date(at.getTime() + minutes(60)), busy)
    expect(priceSession(hour(10 * 60), busyOnly)).toMatchObject({ billedMinutes: 10, amountCents: 100 })
    expect(priceSession(hour(10 * 60), perMinute).billedMinutes).toBe(60)
    // Not measured (no power meter): wall time. More busy than wall time: capped.
    expect(priceSession(hour(null), busyOnly).billedMinutes).toBe(60)
    expect(priceSession(hour(7200), busyOnly).billedMinutes).toBe(60)
  })

  it('charges nothing for a zero-length session, minimum or not', () => {
    const zero = session(at, at)
    expect(priceSession(zero, { ...perMinute, minimumCents: 500 })).toEqual({
      billedSeconds: 0,
      billedMinutes: 0,
      amountCents: 0,
    })
    const neverBusy = session(at, new Date(at.getTime() + minutes(30)), 0)
    expect(priceSession(neverBusy, { ...perMinute, minimumCents: 500, billBusyOnly: true }).amountCents).toBe(0)
    // An end before the start (a clock step) is zero, never negative.
    expect(priceSession(session(at, new Date(at.getTime() - 5000)), perMinute).amountCents).toBe(0)
  })
})

describe('VAT and money', () => {
  it('computes VAT per line, half up to the cent', () => {
    expect(vatOf(1, 2000)).toBe(0) // 0.2
    expect(vatOf(3, 2000)).toBe(1) // 0.6
    expect(vatOf(250, 550)).toBe(14) // 13.75
    expect(vatOf(1000, 0)).toBe(0)
    expect(inclVat(600, 2000)).toBe(720)
  })

  it('prints amounts the French way', () => {
    expect(formatMoney(123456)).toBe('1 234,56 €')
    expect(formatMoney(-720)).toBe('-7,20 €')
    expect(formatMoney(5)).toBe('0,05 €')
  })
})
