// Issued invoices and credit notes as a table, newest first, each with its PDF: the maker's
// own in "Mon espace", everyone's on the staff billing screen (with a member column and actions).
import type { ReactNode } from 'react'
import { apiPath } from '../api'
import { dynamicKey, useI18n } from '../lib/i18n'
import { formatDay, formatMoney, formatPeriod } from '../lib/money'
import type { Invoice } from '../lib/types'

export const pdfPath = (space: string, number: string) =>
  apiPath(`/spaces/${space}/invoices/${encodeURIComponent(number)}/pdf`)

/** Invoice number → the number of the credit note cancelling it. */
export function cancelledBy(invoices: Invoice[]): Map<string, string> {
  return new Map(invoices.flatMap((i) => (i.corrects ? [[i.corrects, i.number] as const] : [])))
}

export function InvoiceTable({
  invoices,
  space,
  timeZone,
  showMember = false,
  actions,
}: {
  invoices: Invoice[]
  space: string
  timeZone: string
  showMember?: boolean
  actions?: (invoice: Invoice, cancelledBy: string | undefined) => ReactNode
}) {
  const { t, locale } = useI18n()
  const cancelled = cancelledBy(invoices)
  const newestFirst = [...invoices].reverse()
  return (
    <div className="table-wrap">
      <table className="invoices">
        <thead>
          <tr>
            <th scope="col">{t('invoiceNumber')}</th>
            <th scope="col">{t('kind')}</th>
            {showMember && <th scope="col">{t('member')}</th>}
            <th scope="col">{t('issuedAt')}</th>
            <th scope="col">{t('period')}</th>
            <th scope="col" className="num">
              {t('totalExcl')}
            </th>
            <th scope="col" className="num">
              {t('vat')}
            </th>
            <th scope="col" className="num">
              {t('totalIncl')}
            </th>
            <th scope="col">{t('pdf')}</th>
            {actions && <th scope="col">{t('actions')}</th>}
          </tr>
        </thead>
        <tbody>
          {newestFirst.map((i) => {
            const money = (cents: number) => formatMoney(cents, locale, i.currency)
            const by = cancelled.get(i.number)
            return (
              <tr key={i.number} data-invoice={i.number} className={by ? 'cancelled' : undefined}>
                <th scope="row">
                  <code>{i.number}</code>
                </th>
                <td>
                  {t(dynamicKey('kind_', i.kind, 'kind_invoice'))}
                  {i.corrects && <small className="muted"> · {t('corrects', { number: i.corrects })}</small>}
                  {by && <small className="tag warn">{t('cancelledBy', { number: by })}</small>}
                </td>
                {showMember && <td>{i.member.name}</td>}
                <td>{formatDay(i.issuedAt, timeZone, locale)}</td>
                <td>{formatPeriod(i.periodStart, i.periodEnd, timeZone, locale)}</td>
                <td className="num">{money(i.totalExclCents)}</td>
                <td className="num">{money(i.vatCents)}</td>
                <td className="num">{money(i.totalInclCents)}</td>
                <td>
                  <a
                    href={pdfPath(space, i.number)}
                    target="_blank"
                    rel="noopener"
                    aria-label={t('openPdf', { number: i.number })}
                  >
                    {t('pdf')}
                  </a>
                </td>
                {actions && <td>{actions(i, by)}</td>}
              </tr>
            )
          })}
        </tbody>
      </table>
    </div>
  )
}
