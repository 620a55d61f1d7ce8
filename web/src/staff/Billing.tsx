// Billing (staff): preview a month's invoices per member, issue them, cancel one by a
// credit note, open the PDFs, export CSV for the accountant, check the invoice chain, and
// record prepaid credit top-ups. Amounts are typed in euros and sent as integer cents.
import { type FormEvent, useState } from 'react'
import { api, apiPath, query } from '../api'
import { InvoiceTable } from '../components/InvoiceTable'
import { Notices } from '../components/Notices.js'
import { describeError } from '../lib/describe'
import { useFlash, useLoad } from '../lib/hooks'
import { type Key, useI18n } from '../lib/i18n'
import { formatDay, formatMoney, formatMonth, isMonth, parseAmount, previousMonth } from '../lib/money'
import { useSpace } from '../lib/space'
import type { ChainCheck, Credit, Invoice, InvoiceDraft, Member, SpaceInfo } from '../lib/types'

const means = ['cash', 'card', 'transfer', 'cheque', 'other'] as const

export default function Billing() {
  const { t, locale } = useI18n()
  const space = useSpace()
  const slug = space.slug
  const tz = space.timeZone
  const [month, setMonth] = useState(() => previousMonth(tz))
  const [preview, setPreview] = useState<{ month: string; drafts: InvoiceDraft[] } | null>(null)
  const [busy, setBusy] = useState('')
  const [chain, setChain] = useState<ChainCheck | null>(null)
  const [flash, showFlash] = useFlash(12_000)
  const [error, setError] = useState('')
  const info = useLoad(() => api<SpaceInfo>('GET', `/spaces/${slug}`), [slug])
  const invoices = useLoad(() => api<Invoice[]>('GET', `/spaces/${slug}/invoices`), [slug])
  const currency = info.data?.currency ?? 'EUR'
  const money = (cents: number) => formatMoney(cents, locale, currency)
  const validMonth = isMonth(month)

  /** Runs one action at a time, its error shown in words. */
  async function run(name: string, action: () => Promise<void>) {
    setError('')
    setBusy(name)
    try {
      await action()
    } catch (e) {
      setError(describeError(e, t))
    } finally {
      setBusy('')
    }
  }

  const loadPreview = (m: string) =>
    api<InvoiceDraft[]>('GET', `/spaces/${slug}/invoices/preview${query({ month: m })}`).then((drafts) =>
      setPreview({ month: m, drafts }),
    )

  function showPreview(event: FormEvent) {
    event.preventDefault()
    if (!validMonth) return setError(t('invalidMonth'))
    void run('preview', () => loadPreview(month))
  }

  function issue() {
    if (!validMonth) return setError(t('invalidMonth'))
    if (!window.confirm(t('confirmIssue', { month: formatMonth(month, locale) }))) return
    void run('issue', async () => {
      const issued = await api<Invoice[]>('POST', `/spaces/${slug}/invoices`, { month })
      showFlash(
        issued.length === 0
          ? t('nothingToInvoice', { month: formatMonth(month, locale) })
          : t('issued', {
              count: issued.length,
              // A whole fablab's month: the first and last numbers (they are consecutive).
              numbers:
                issued.length <= 5
                  ? issued.map((i) => i.number).join(', ')
                  : `${issued[0]!.number} … ${issued.at(-1)!.number}`,
            }),
      )
      invoices.reload()
      await loadPreview(month)
    })
  }

  function creditNote(invoice: Invoice) {
    if (!window.confirm(t('confirmCreditNote', { number: invoice.number }))) return
    void run(`note-${invoice.number}`, async () => {
      const note = await api<Invoice>(
        'POST',
        `/spaces/${slug}/invoices/${encodeURIComponent(invoice.number)}/credit-note`,
      )
      showFlash(t('creditNoteIssued', { number: note.number, corrects: invoice.number }))
      invoices.reload()
      if (preview) await loadPreview(preview.month)
    })
  }

  function verify() {
    setChain(null)
    void run('verify', async () => setChain(await api<ChainCheck>('GET', `/spaces/${slug}/invoices/verify`)))
  }

  const total = (key: 'totalExclCents' | 'vatCents' | 'totalInclCents') =>
    (preview?.drafts ?? []).reduce((sum, d) => sum + d[key], 0)

  return (
    <div className="billing">
      <div className="page-head">
        <h1>{t('billingTitle')}</h1>
      </div>
      <form className="card row" onSubmit={showPreview} aria-label={t('period')}>
        <label>
          {t('month')}
          <input
            type="month"
            name="month"
            value={month}
            required
            pattern="\d{4}-(0[1-9]|1[0-2])"
            placeholder={t('monthFormat')}
            aria-invalid={!validMonth || undefined}
            onChange={(e) => {
              setMonth(e.target.value)
              setPreview(null)
            }}
          />
        </label>
        <div className="actions">
          <button type="submit" disabled={busy !== ''}>
            {t('preview')}
          </button>
          <button type="button" className="primary" onClick={issue} disabled={busy !== ''}>
            {t('issueInvoices')}
          </button>
        </div>
      </form>
      <Notices flash={flash} error={error} />

      {preview && (
        <section className="card preview" aria-labelledby="preview-title" aria-busy={busy === 'preview'}>
          <h2 id="preview-title">{t('previewTitle', { month: formatMonth(preview.month, locale) })}</h2>
          {preview.drafts.length === 0 ? (
            <p className="muted">{t('nothingToInvoice', { month: formatMonth(preview.month, locale) })}</p>
          ) : (
            <>
              <p>
                <strong>
                  {t('grandTotal', {
                    excl: money(total('totalExclCents')),
                    vat: money(total('vatCents')),
                    incl: money(total('totalInclCents')),
                  })}
                </strong>
              </p>
              {preview.drafts.map((d) => (
                <details key={d.member.id} className="draft" data-member={d.member.id}>
                  <summary>
                    <strong>{d.member.name}</strong> —{' '}
                    {t('memberTotals', { excl: money(d.totalExclCents), incl: money(d.totalInclCents) })}{' '}
                    <span className="muted">({t('lines', { count: d.lines.length })})</span>
                  </summary>
                  <div className="table-wrap">
                    <table>
                      <thead>
                        <tr>
                          <th scope="col">{t('date')}</th>
                          <th scope="col">{t('description')}</th>
                          <th scope="col" className="num">
                            {t('priceExcl')}
                          </th>
                          <th scope="col" className="num">
                            {t('vat')}
                          </th>
                        </tr>
                      </thead>
                      <tbody>
                        {d.lines.map((l) => (
                          <tr key={l.sessionId ?? l.bookingId ?? `${l.at}-${l.description}`}>
                            <td>{formatDay(l.at, tz, locale)}</td>
                            <td>{l.description}</td>
                            <td className="num">{money(l.amountExclCents)}</td>
                            <td className="num">{money(l.vatCents)}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                </details>
              ))}
            </>
          )}
        </section>
      )}

      <section className="card" aria-labelledby="issued-title">
        <h2 id="issued-title">{t('issuedInvoices')}</h2>
        {invoices.error ? (
          <p className="error" role="alert">
            {describeError(invoices.error, t)}
          </p>
        ) : null}
        {invoices.data?.length === 0 && <p className="muted">{t('noInvoices')}</p>}
        {invoices.data && invoices.data.length > 0 && (
          <InvoiceTable
            invoices={invoices.data}
            space={slug}
            timeZone={tz}
            showMember
            actions={(i, cancelledBy) =>
              i.kind === 'invoice' &&
              !cancelledBy && (
                <button
                  type="button"
                  className="small danger"
                  aria-label={t('creditNoteFor', { number: i.number })}
                  disabled={busy !== ''}
                  onClick={() => creditNote(i)}
                >
                  {t('creditNote')}
                </button>
              )
            }
          />
        )}
      </section>

      <div className="columns">
        <TopUp currency={currency} />
        <section className="card stack" aria-labelledby="exports-title">
          <h2 id="exports-title">{t('exports')}</h2>
          <div className="actions">
            <a className="button" href={apiPath(`/spaces/${slug}/invoices?format=csv`)} download>
              {t('exportInvoices')}
            </a>
            <a className="button" href={apiPath(`/spaces/${slug}/invoices/lines`)} download>
              {t('exportLines')}
            </a>
            {validMonth && (
              <a className="button" href={apiPath(`/spaces/${slug}/accounting-export${query({ month })}`)} download>
                {t('exportJournal', { month: formatMonth(month, locale) })}
              </a>
            )}
          </div>
          <p className="muted small">{t('journalHint')}</p>
          <div className="actions">
            <button type="button" onClick={verify} disabled={busy !== ''}>
              {t('verifyChain')}
            </button>
          </div>
          <p className="muted small">{t('verifyHelp')}</p>
          {chain?.ok && (
            <p className="notice success chain" role="status">
              {t('chainOk', { count: chain.checked })}
            </p>
          )}
          {chain && !chain.ok && (
            <div className="chain" role="alert">
              <p className="error">{t('chainBroken', { count: chain.checked })}</p>
              <ul>
                {chain.problems.map((p) => (
                  <li key={`${p.seq}-${p.problem}`}>
                    {p.number ? <code>{p.number}</code> : `#${p.seq}`} : {p.problem}
                  </li>
                ))}
              </ul>
            </div>
          )}
        </section>
      </div>
    </div>
  )
}

/** Records money a member handed over (or paid by card, transfer…) as prepaid credit. */
function TopUp({ currency }: { currency: string }) {
  const { t, locale } = useI18n()
  const space = useSpace()
  const members = useLoad(() => api<Member[]>('GET', `/spaces/${space.slug}/members`), [space.slug])
  const [member, setMember] = useState('')
  const [amountError, setAmountError] = useState('')
  const [error, setError] = useState('')
  const [flash, showFlash] = useFlash(12_000)
  const [saving, setSaving] = useState(false)
  const chosen = members.data?.find((m) => m.id === member)

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const formEl = event.currentTarget
    const form = new FormData(formEl)
    const cents = parseAmount(String(form.get('amount') ?? ''))
    setError('')
    if (cents === null || cents <= 0) {
      setAmountError(t(cents === null ? 'invalidAmount' : 'amountNotPositive'))
      formEl.querySelector<HTMLInputElement>('input[name="amount"]')?.focus()
      return
    }
    setAmountError('')
    if (!chosen) {
      setError(t('chooseMember'))
      formEl.querySelector<HTMLSelectElement>('select[name="member"]')?.focus()
      return
    }
    const reference = String(form.get('reference') ?? '').trim()
    setSaving(true)
    try {
      const credit = await api<Credit>('POST', `/spaces/${space.slug}/members/${chosen.id}/credit`, {
        amountCents: cents,
        means: form.get('means'),
        ...(reference ? { reference } : {}),
      })
      const money = (c: number) => formatMoney(c, locale, credit.currency)
      showFlash(t('topupDone', { amount: money(cents), name: chosen.name, balance: money(credit.balanceCents) }))
      members.set((list) => list?.map((m) => (m.id === chosen.id ? { ...m, creditCents: credit.balanceCents } : m)))
      for (const name of ['amount', 'reference']) {
        const input = formEl.elements.namedItem(name)
        if (input instanceof HTMLInputElement) input.value = ''
      }
    } catch (e) {
      setError(describeError(e, t))
    } finally {
      setSaving(false)
    }
  }

  return (
    <form className="card stack topup" onSubmit={submit} aria-labelledby="topup-title" noValidate>
      <h2 id="topup-title">{t('topupTitle')}</h2>
      <div className="fields">
        <label className="wide">
          {t('member')}
          <select
            name="member"
            required
            value={member}
            onChange={(e) => {
              setMember(e.target.value)
              setError('')
            }}
          >
            <option value="">{t('chooseMember')}</option>
            {(members.data ?? []).map((m) => (
              <option key={m.id} value={m.id}>
                {m.name} ({m.email})
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('amountEuros')}
          <input
            name="amount"
            inputMode="decimal"
            autoComplete="off"
            required
            aria-invalid={amountError ? true : undefined}
            aria-describedby={amountError ? 'topup-amount-error' : undefined}
            onChange={() => setAmountError('')}
          />
        </label>
        <label>
          {t('means')}
          <select name="means" defaultValue="card">
            {means.map((m) => (
              <option key={m} value={m}>
                {t(`means_${m}` as Key)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('reference')}
          <input name="reference" maxLength={200} autoComplete="off" />
        </label>
      </div>
      {chosen && (
        <p className="muted" aria-live="polite">
          {t('currentBalance', { amount: formatMoney(chosen.creditCents, locale, currency) })}
        </p>
      )}
      {amountError && (
        <p className="error" id="topup-amount-error" role="alert">
          {amountError}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={saving}>
          {t('recordTopup')}
        </button>
      </div>
      <Notices flash={flash} error={error} />
    </form>
  )
}
