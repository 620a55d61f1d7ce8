// The printed invoice (French): seller and buyer, number and dates, one line per session
// or fee, totals excl. VAT, VAT by rate, totals incl. VAT, and the mentions French law
// requires on an invoice between businesses (payment terms, late penalties, the 40 €
// recovery indemnity) or the VAT exemption mention when the rate is zero.

import { formatMoney } from '../../protocol/pricing.js'
import { localDateTimeText } from '../lib/time.js'
import type { InvoiceWithLines } from './invoices.js'
import { PdfDocument } from './pdf.js'

interface Party {
  name?: string | null
  address?: string | null
  siret?: string | null
  vatNumber?: string | null
  email?: string | null
}

const rateText = (bps: number) => `${(bps / 100).toLocaleString('fr-FR')} %`

export function renderInvoicePdf(invoice: InvoiceWithLines, timeZone: string, correctsNumber: string | null): Buffer {
  const pdf = new PdfDocument()
  const money = (cents: number) => formatMoney(cents, invoice.currency)
  const date = (at: Date) => localDateTimeText(at, timeZone).date
  const seller = (invoice.seller ?? {}) as Party
  const buyer = (invoice.buyer ?? {}) as Party
  const title = invoice.kind === 'credit_note' ? 'AVOIR' : 'FACTURE'

  const party = (x: number, y: number, heading: string, p: Party) => {
    pdf.text(x, y, heading, { size: 8 })
    let at = y + 14
    pdf.text(x, at, p.name ?? '', { bold: true })
    for (const row of [
      ...(p.address ?? '').split('\n'),
      p.siret ? `SIRET : ${p.siret}` : '',
      p.vatNumber ? `N° TVA intracommunautaire : ${p.vatNumber}` : '',
      p.email ?? '',
    ]) {
      if (!row) continue
      at += 12
      pdf.text(x, at, row, { size: 9 })
    }
  }

  pdf.text(50, 60, `${title} ${invoice.number}`, { size: 18, bold: true })
  pdf.text(50, 80, `Date d'émission : ${date(invoice.issuedAt)}`)
  pdf.text(50, 94, `Période : du ${date(invoice.periodStart)} au ${date(new Date(invoice.periodEnd.getTime() - 1))}`)
  if (correctsNumber) pdf.text(50, 108, `Avoir sur la facture ${correctsNumber}`)
  party(50, 140, 'ÉMETTEUR', seller)
  party(320, 140, 'CLIENT', buyer)

  const columns = { description: 50, quantity: 380, unit: 455, amount: 545 }
  const header = (y: number) => {
    pdf.text(columns.description, y, 'Désignation', { bold: true, size: 9 })
    pdf.text(columns.quantity, y, 'Quantité', { bold: true, size: 9, align: 'right' })
    pdf.text(columns.unit, y, 'Prix unit. HT', { bold: true, size: 9, align: 'right' })
    pdf.text(columns.amount, y, 'Montant HT', { bold: true, size: 9, align: 'right' })
    pdf.line(50, y + 4, 545)
    return y + 18
  }
  let y = header(250)
  for (const line of [...invoice.lines].sort((a, b) => a.position - b.position)) {
    if (y > 720) {
      pdf.newPage()
      y = header(60)
    }
    const session = line.kind === 'session'
    pdf.text(columns.description, y, line.description.slice(0, 70), { size: 9 })
    pdf.text(columns.quantity, y, session ? `${line.quantity} min` : `${line.quantity}`, { size: 9, align: 'right' })
    pdf.text(columns.unit, y, session ? `${money(line.unitCents)}/h` : money(line.unitCents), {
      size: 9,
      align: 'right',
    })
    pdf.text(columns.amount, y, money(line.amountExclCents), { size: 9, align: 'right' })
    y += 14
  }
  if (y > 640) {
    pdf.newPage()
    y = 60
  }
  pdf.line(300, y, 545)
  y += 16
  const total = (label: string, cents: number, bold = false) => {
    pdf.text(330, y, label, { bold })
    pdf.text(columns.amount, y, money(cents), { bold, align: 'right' })
    y += 15
  }
  total('Total HT', invoice.totalExclCents)
  const byRate = new Map<number, { base: number; vat: number }>()
  for (const l of invoice.lines) {
    const r = byRate.get(l.vatRateBps) ?? { base: 0, vat: 0 }
    r.base += l.amountExclCents
    r.vat += l.vatCents
    byRate.set(l.vatRateBps, r)
  }
  for (const [bps, r] of byRate) total(`TVA ${rateText(bps)} sur ${money(r.base)}`, r.vat)
  total('Total TTC', invoice.totalInclCents, true)

  y += 20
  const mentions = [
    ...[...byRate.keys()].filter((bps) => bps === 0).map(() => 'TVA non applicable, art. 293 B du CGI.'),
    'Paiement à réception. Pas d’escompte pour paiement anticipé.',
    'En cas de retard de paiement : pénalités au taux de trois fois le taux d’intérêt légal,',
    'et, pour les professionnels, indemnité forfaitaire pour frais de recouvrement de 40 € (art. L441-10 du Code de commerce).',
    `Empreinte : ${invoice.hash.slice(0, 32)}`,
  ]
  for (const m of mentions) {
    if (y > 800) {
      pdf.newPage()
      y = 60
    }
    pdf.text(50, y, m, { size: 7.5 })
    y += 11
  }
  return pdf.toBuffer({ title: `${title} ${invoice.number}` })
}
