// The price of machine time, in one place (shared by the server and the web app). All
// amounts are integer cents, excluding VAT.
//
// Rounding rule (documented in README, "Billing"):
// 1. Billed time is the session's wall time (end − start, in real elapsed seconds: a session
//    across midnight or across a DST change is billed for the time that really passed), or,
//    when the rate bills busy time only, the measured busy seconds (wall time if not measured).
// 2. It is rounded UP to the billing step: per started minute (step 1) or per started quarter
//    hour (step 15)...
// 3. Amount = rate per hour × billed minutes / 60, rounded half up to the cent.
// 4. The minimum charge applies to any session with billed time above zero; a session with
//    no billed time (zero length, or never busy when billing busy time) costs nothing.
// 5. VAT is computed per line, rounded half up to the cent; totals are sums of lines, so the
//    credit debited for a session equals its line on the invoice.

export interface RateTerms {
  centsPerHour: number
  /** 1 = per started minute, 15 = per started quarter hour. */
  stepMinutes: number
  minimumCents: number
  billBusyOnly: boolean
}

export interface SessionTimes {
  startedAt: Date
  endedAt: Date
  busySeconds: number | null
}

export interface SessionPrice {
  billedSeconds: number
  billedMinutes: number
  amountCents: number
}

/** a × b / c rounded half up (half away from zero for negative a: a credit note mirrors its invoice). */
export function mulDivRound(a: number, b: number, c: number): number {
  return Math.sign(a) * Math.floor((Math.abs(a) * b * 2 + c) / (2 * c))
}

export function priceSession(session: SessionTimes, rate: RateTerms): SessionPrice {
  const wallSeconds = Math.max(0, Math.floor((session.endedAt.getTime() - session.startedAt.getTime()) / 1000))
  const billedSeconds =
    rate.billBusyOnly && session.busySeconds !== null ? Math.min(session.busySeconds, wallSeconds) : wallSeconds
  if (billedSeconds <= 0) return { billedSeconds: 0, billedMinutes: 0, amountCents: 0 }
  const stepSeconds = Math.max(1, rate.stepMinutes) * 60
  const billedMinutes = Math.ceil(billedSeconds / stepSeconds) * Math.max(1, rate.stepMinutes)
  const amount = mulDivRound(rate.centsPerHour, billedMinutes, 60)
  return { billedSeconds, billedMinutes, amountCents: Math.max(amount, rate.minimumCents) }
}

/** VAT of one line: basis points (2000 = 20 %), half up to the cent. */
export function vatOf(amountExclCents: number, vatRateBps: number): number {
  return mulDivRound(amountExclCents, vatRateBps, 10_000)
}

/** What the member pays for a line, VAT included: the amount debited from prepaid credit. */
export function inclVat(amountExclCents: number, vatRateBps: number): number {
  return amountExclCents + vatOf(amountExclCents, vatRateBps)
}

/** 123456 → "1 234,56 €" (French grouping with a narrow space, for documents). */
export function formatMoney(cents: number, currency = 'EUR'): string {
  const sign = cents < 0 ? '-' : ''
  const abs = Math.abs(cents)
  const units = Math.floor(abs / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ' ')
  const symbol = currency === 'EUR' ? '€' : currency
  return `${sign}${units},${(abs % 100).toString().padStart(2, '0')} ${symbol}`
}
