// A machine's rates, one row per price group: price per hour, billing step, minimum charge,
// no-show fee and busy-time billing. Amounts are typed in euros excl. VAT ("12,50" or
// "12.50") and sent as integer cents; each row saves on its own (Enter or its button).
import { type FormEvent, useState } from 'react'
import { api } from '../api'
import { describeError } from '../lib/describe'
import { useFlash } from '../lib/hooks'
import { dynamicKey, type Key, useI18n } from '../lib/i18n'
import { amountInput, parseAmount } from '../lib/money'
import { useSpace } from '../lib/space'
import type { PriceGroup, Rate } from '../lib/types'
import { Notices } from './Notices.js'

const steps = [1, 5, 10, 15, 30, 60]

export function MachineRates({
  machine,
  groups,
  rates,
  onSaved,
}: {
  machine: string
  groups: PriceGroup[]
  rates: Rate[]
  onSaved: (rate: Rate) => void
}) {
  const { t } = useI18n()
  const [flash, showFlash] = useFlash()
  const [error, setError] = useState('')
  const id = `rates-${machine}`
  return (
    <div className="rates">
      <h3 id={id}>{t('ratesTitle')}</h3>
      <div className="table-wrap">
        <table aria-labelledby={id}>
          <thead>
            <tr>
              <th scope="col">{t('priceGroup')}</th>
              <th scope="col">{t('perHour')}</th>
              <th scope="col">{t('step')}</th>
              <th scope="col">{t('minimumCharge')}</th>
              <th scope="col">{t('noShowFee')}</th>
              <th scope="col">{t('billBusyOnly')}</th>
              <th scope="col">
                <span className="sr-only">{t('actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {groups.map((g) => {
              const rate = rates.find((r) => r.priceGroup === g.slug)
              return (
                <RateRow
                  key={`${g.slug}-${rate ? JSON.stringify(rate) : 'none'}`}
                  machine={machine}
                  group={g}
                  rate={rate}
                  onSaved={(saved) => {
                    setError('')
                    showFlash(t('rateSaved', { group: g.name }))
                    onSaved(saved)
                  }}
                  onError={(message) => setError(message)}
                />
              )
            })}
          </tbody>
        </table>
      </div>
      <p className="muted small">{t('ratesHelp')}</p>
      <Notices flash={flash} error={error} />
    </div>
  )
}

function RateRow({
  machine,
  group,
  rate,
  onSaved,
  onError,
}: {
  machine: string
  group: PriceGroup
  rate: Rate | undefined
  onSaved: (rate: Rate) => void
  onError: (message: string) => void
}) {
  const { t, locale } = useI18n()
  const space = useSpace()
  const [saving, setSaving] = useState(false)
  const [invalid, setInvalid] = useState<string[]>([])
  // The inputs sit in the row's cells; they belong to the form of the last cell.
  const formId = `rate-${machine}-${group.slug}`
  const label = (key: Key) => `${t(key)} — ${group.name}`
  const euros = (cents: number | undefined) => (cents === undefined ? '' : amountInput(cents, locale))
  const stepOptions =
    rate && !steps.includes(rate.stepMinutes) ? [...steps, rate.stepMinutes].sort((a, b) => a - b) : steps

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    const cents = (name: string, required: boolean) => {
      const text = String(form.get(name) ?? '').trim()
      if (text === '' && !required) return 0
      const value = parseAmount(text)
      return value === null || value < 0 ? null : value
    }
    const body = {
      centsPerHour: cents('centsPerHour', true),
      stepMinutes: Number(form.get('stepMinutes')),
      minimumCents: cents('minimumCents', false),
      noShowFeeCents: cents('noShowFeeCents', false),
      billBusyOnly: form.get('billBusyOnly') === 'on',
    }
    const bad = (['centsPerHour', 'minimumCents', 'noShowFeeCents'] as const).filter((k) => body[k] === null)
    setInvalid(bad)
    if (bad.length > 0) {
      onError(t('invalidAmountFor', { group: group.name }))
      document.getElementById(`${formId}-${bad[0]}`)?.focus()
      return
    }
    setSaving(true)
    try {
      onSaved(await api<Rate>('PUT', `/spaces/${space.slug}/machines/${machine}/rates/${group.slug}`, body))
    } catch (e) {
      onError(describeError(e, t))
    } finally {
      setSaving(false)
    }
  }

  const amount = (name: 'centsPerHour' | 'minimumCents' | 'noShowFeeCents', key: Key) => (
    <input
      id={`${formId}-${name}`}
      form={formId}
      name={name}
      className="amount-input"
      inputMode="decimal"
      autoComplete="off"
      aria-label={label(key)}
      aria-invalid={invalid.includes(name) || undefined}
      defaultValue={euros(rate?.[name])}
      placeholder={name === 'centsPerHour' ? amountInput(0, locale) : undefined}
    />
  )

  return (
    <tr data-group={group.slug}>
      <th scope="row">
        {group.name}
        {!rate && <small className="muted"> · {t('noRate')}</small>}
      </th>
      <td>{amount('centsPerHour', 'perHour')}</td>
      <td>
        <select form={formId} name="stepMinutes" aria-label={label('step')} defaultValue={rate?.stepMinutes ?? 1}>
          {stepOptions.map((n) => (
            <option key={n} value={n}>
              {t(dynamicKey('step_', String(n), 'stepEvery'), { minutes: n })}
            </option>
          ))}
        </select>
      </td>
      <td>{amount('minimumCents', 'minimumCharge')}</td>
      <td>{amount('noShowFeeCents', 'noShowFee')}</td>
      <td>
        <input
          type="checkbox"
          form={formId}
          name="billBusyOnly"
          aria-label={label('billBusyOnly')}
          defaultChecked={rate?.billBusyOnly ?? false}
        />
      </td>
      <td>
        <form id={formId} onSubmit={save}>
          <button type="submit" className="small" disabled={saving} aria-label={t('saveRate', { group: group.name })}>
            {t('save')}
          </button>
        </form>
      </td>
    </tr>
  )
}
