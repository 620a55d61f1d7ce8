// Spreadsheet and accounting exports of issued invoices. Amounts are in currency units with
// a dot ("12.34"), which spreadsheets and accounting imports read in any locale setting.
import type { Invoice, InvoiceLine, Membership, Person, Space } from '../db/generated/sqlite/client.js'
import { type Cell, toCsv } from '../lib/csv.js'
import { localParts } from '../lib/time.js'

type InvoiceRow = Invoice & { lines: InvoiceLine[]; member: Membership & { person: Person } }

export const units = (cents: number) => (cents / 100).toFixed(2)

function localDate(at: Date, timeZone: string, separator = '-') {
  const p = localParts(at, timeZone)
  return [p.year, p.month.toString().padStart(2, '0'), p.day.toString().padStart(2, '0')].join(separator)
}

const buyerName = (i: InvoiceRow) => ((i.buyer ?? {}) as { name?: string }).name ?? i.member.person.name

export function invoicesCsv(space: Space, invoices: InvoiceRow[]): string {
  return toCsv(
    [
      'number',
      'kind',
      'issued_on',
      'period_start',
      'period_end',
      'member_email',
      'buyer',
      'total_excl_vat',
      'vat',
      'total_incl_vat',
      'currency',
      'hash',
    ],
    invoices.map((i): Cell[] => [
      i.number,
      i.kind,
      localDate(i.issuedAt, space.timeZone),
      localDate(i.periodStart, space.timeZone),
      localDate(new Date(i.periodEnd.getTime() - 1), space.timeZone),
      i.member.person.email,
      buyerName(i),
      units(i.totalExclCents),
      units(i.vatCents),
      units(i.totalInclCents),
      i.currency,
      i.hash,
    ]),
  )
}

export function invoiceLinesCsv(space: Space, invoices: InvoiceRow[]): string {
  return toCsv(
    [
      'invoice',
      'position',
      'kind',
      'machine',
      'description',
      'quantity',
      'unit_price',
      'amount_excl_vat',
      'vat_rate_percent',
      'vat',
      'date',
    ],
    invoices.flatMap((i) =>
      [...i.lines]
        .sort((a, b) => a.position - b.position)
        .map((l): Cell[] => [
          i.number,
          l.position,
          l.kind,
          l.machine,
          l.description,
          l.quantity,
          units(l.unitCents),
          units(l.amountExclCents),
          (l.vatRateBps / 100).toString(),
          units(l.vatCents),
          localDate(l.at, space.timeZone),
        ]),
    ),
  )
}

/**
 * Sales journal of the period, one entry per invoice: the customer account debited with the
 * total incl. VAT, sales and VAT accounts credited (a credit note the other way round).
 * Column names follow the French FEC where they exist.
 */
export function accountingCsv(space: Space, invoices: InvoiceRow[]): string {
  const rows: Cell[][] = []
  for (const i of invoices) {
    const date = localDate(i.issuedAt, space.timeZone, '')
    const label = `${i.kind === 'credit_note' ? 'Avoir' : 'Facture'} ${i.number} ${buyerName(i)}`
    const entry = (account: string, auxiliary: string, cents: number, debitSide: boolean) => {
      const debit = debitSide === cents >= 0
      rows.push([
        space.accountingJournal,
        date,
        account,
        auxiliary,
        i.number,
        label,
        debit ? units(Math.abs(cents)) : '0.00',
        debit ? '0.00' : units(Math.abs(cents)),
      ])
    }
    entry(space.accountCustomers, i.member.person.email, i.totalInclCents, true)
    entry(space.accountSales, '', i.totalExclCents, false)
    if (i.vatCents !== 0) entry(space.accountVat, '', i.vatCents, false)
  }
  return toCsv(
    ['JournalCode', 'EcritureDate', 'CompteNum', 'CompAuxNum', 'PieceRef', 'EcritureLib', 'Debit', 'Credit'],
    rows,
  )
}
