// Money and billing periods for people: amounts are integer cents in the API, shown with
// Intl in the UI's language ("12,50 €" in French), typed in euros ("12,50" or "12.50").
// Months are the space's local calendar months, 'YYYY-MM'.
import { addDays, formatCalendarDate, localDate } from './time'

const formatters = new Map<string, Intl.NumberFormat>()
function formatter(locale: string, currency: string): Intl.NumberFormat {
  const key = `${locale}|${currency}`
  let f = formatters.get(key)
  if (!f) {
    f = new Intl.NumberFormat(locale, { style: 'currency', currency })
    formatters.set(key, f)
  }
  return f
}

/** 1250 → "12,50 €" (fr-FR) or "€12.50" (en-GB). */
export function formatMoney(cents: number, locale: string, currency = 'EUR'): string {
  return formatter(locale, currency || 'EUR').format(cents / 100)
}

/**
 * What a person typed, in cents: "12,50", "12.50", "12", "1 234,5 €" → 1250, 1250, 1200, 123450.
 * Null when it is not an amount (letters, three decimals, "1.234,50"…).
 */
export function parseAmount(text: string): number | null {
  const s = text.replace(/[\s\u00a0\u202f€]/g, '')
  const m = /^([+-]?)(\d+)(?:[.,](\d{1,2}))?$/.exec(s)
  if (!m) return null
  const cents = Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0'))
  if (!Number.isSafeInteger(cents)) return null
  return m[1] === '-' ? -cents : cents
}

/** Cents as a form value in the UI's language: 1250 → "12,50" (fr) or "12.50" (en). */
export function amountInput(cents: number, locale: string): string {
  return new Intl.NumberFormat(locale, {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
    useGrouping: false,
  }).format(cents / 100)
}

/** The price VAT included: the server's own rule (protocol/pricing.ts), not a copy. */
export { inclVat } from '../../../protocol/pricing'

/** "20 %" / "5,5 %" from basis points. */
export function formatRate(bps: number, locale: string): string {
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 2 }).format(bps / 10_000)
}

export const isMonth = (text: string) => /^\d{4}-(0[1-9]|1[0-2])$/.test(text)

/** The month before the one running now in the zone: invoices are issued for it. */
export function previousMonth(timeZone: string, now = new Date()): string {
  const [year, month] = localDate(now, timeZone).split('-').map(Number) as [number, number]
  const y = month === 1 ? year - 1 : year
  const m = month === 1 ? 12 : month - 1
  return `${y}-${String(m).padStart(2, '0')}`
}

/** "octobre 2026" / "October 2026". */
export function formatMonth(month: string, locale: string): string {
  return formatCalendarDate(`${month}-01`, locale, { month: 'long', year: 'numeric' })
}

/** An invoiced period in the space's zone: a whole local month reads as the month. */
export function formatPeriod(startIso: string, endIso: string, timeZone: string, locale: string): string {
  const first = localDate(new Date(startIso), timeZone)
  const last = localDate(new Date(new Date(endIso).getTime() - 1), timeZone)
  if (first.endsWith('-01') && addDays(last, 1).endsWith('-01') && first.slice(0, 7) === last.slice(0, 7))
    return formatMonth(first.slice(0, 7), locale)
  const short: Intl.DateTimeFormatOptions = { day: 'numeric', month: 'short', year: 'numeric' }
  return `${formatCalendarDate(first, locale, short)} – ${formatCalendarDate(last, locale, short)}`
}

/** A local calendar day of an instant, for tables: "5 oct. 2026". */
export function formatDay(iso: string, timeZone: string, locale: string): string {
  return formatCalendarDate(localDate(new Date(iso), timeZone), locale, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
  })
}
