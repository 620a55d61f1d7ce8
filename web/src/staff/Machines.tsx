// Machines (staff): status, required trainings, access and power policy; remote switch;
// the machine's rates per price group (typed in euros excl. VAT, sent as integer cents).
import { type FormEvent, type ReactNode, useState } from 'react'
import { api } from '../api'
import { MachineRates } from '../components/MachineRates'
import { Notices } from '../components/Notices.js'
import { describeError, stateKey, statusKey } from '../lib/describe'
import { useFlash, useLoad } from '../lib/hooks'
import { useI18n } from '../lib/i18n'
import { useSpace } from '../lib/space'
import type { Machine, PriceGroup, Rate } from '../lib/types'

const statuses = ['available', 'out_of_service', 'to_check'] as const

export default function Machines() {
  const { t } = useI18n()
  const space = useSpace()
  const groups = useLoad(() => api<PriceGroup[]>('GET', `/spaces/${space.slug}/price-groups`), [space.slug])
  const rates = useLoad(() => api<Rate[]>('GET', `/spaces/${space.slug}/rates`), [space.slug])
  const saved = (rate: Rate) =>
    rates.set((list) => [
      ...(list ?? []).filter((r) => r.machine !== rate.machine || r.priceGroup !== rate.priceGroup),
      rate,
    ])
  const fail = groups.error ?? rates.error
  return (
    <div>
      <div className="page-head">
        <h1>{t('machinesTitle')}</h1>
      </div>
      {fail ? (
        <p className="error" role="alert">
          {describeError(fail, t)}
        </p>
      ) : null}
      {space.machines.map((m) => (
        <MachineEditor key={`${m.slug}-${m.status}-${m.requiredTrainings.join()}`} machine={m}>
          {groups.data && rates.data && (
            <MachineRates
              machine={m.slug}
              groups={groups.data}
              rates={rates.data.filter((r) => r.machine === m.slug)}
              onSaved={saved}
            />
          )}
        </MachineEditor>
      ))}
    </div>
  )
}

function MachineEditor({ machine: m, children }: { machine: Machine; children?: ReactNode }) {
  const { t } = useI18n()
  const space = useSpace()
  const [flash, showFlash] = useFlash()
  const [error, setError] = useState('')
  const [cut, setCut] = useState(m.cutPolicy)
  const id = `machine-${m.slug}`

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    const num = (name: string) => {
      const v = String(form.get(name) ?? '')
      return v === '' ? null : Number(v)
    }
    setError('')
    try {
      await api('PATCH', `/spaces/${space.slug}/machines/${m.slug}`, {
        status: form.get('status'),
        requiredTrainings: form.getAll('requiredTrainings').map(String),
        walkInAllowed: form.get('walkInAllowed') === 'on',
        cutPolicy: form.get('cutPolicy'),
        idleThresholdWatts: num('idleThresholdWatts'),
        maxBookingMinutes: num('maxBookingMinutes') ?? m.maxBookingMinutes,
        minNoticeMinutes: num('minNoticeMinutes') ?? 0,
      })
      showFlash(t('saved'))
      space.reloadMachines()
    } catch (e) {
      setError(describeError(e, t))
    }
  }

  async function command(action: 'unlock' | 'lock') {
    setError('')
    try {
      const res = await api<{ agent: string }>('POST', `/spaces/${space.slug}/machines/${m.slug}/${action}`, {})
      showFlash(t('commandSent', { agent: res.agent }))
    } catch (e) {
      setError(describeError(e, t))
    }
  }

  return (
    <section className="card stack machine-editor" aria-labelledby={id} data-machine={m.slug}>
      <h2 id={id}>
        {m.name} <small className="muted">({m.slug})</small>{' '}
        <span className={`tag state-${m.live.state}`}>{t(stateKey(m.live.state))}</span>
      </h2>
      <form className="stack" onSubmit={save}>
        <div className="fields">
          <label>
            {t('status')}
            <select name="status" defaultValue={m.status}>
              {statuses.map((s) => (
                <option key={s} value={s}>
                  {t(statusKey(s))}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('cutPolicy')}
            <select name="cutPolicy" value={cut} onChange={(e) => setCut(e.target.value)}>
              <option value="immediate">{t('cut_immediate')}</option>
              <option value="when_idle">{t('cut_when_idle')}</option>
            </select>
          </label>
          <label>
            {t('idleThreshold')}
            <input
              name="idleThresholdWatts"
              type="number"
              min={0}
              max={100000}
              defaultValue={m.idleThresholdWatts ?? ''}
              required={cut === 'when_idle'}
            />
          </label>
          <label>
            {t('maxBooking')}
            <input name="maxBookingMinutes" type="number" min={5} max={10080} defaultValue={m.maxBookingMinutes} />
          </label>
          <label>
            {t('minNotice')}
            <input name="minNoticeMinutes" type="number" min={0} max={43200} defaultValue={m.minNoticeMinutes} />
          </label>
          <label className="check">
            <input name="walkInAllowed" type="checkbox" defaultChecked={m.walkInAllowed} /> {t('walkIn')}
          </label>
        </div>
        <fieldset>
          <legend>{t('requiredTrainings')}</legend>
          {space.trainings.map((x) => (
            <label className="check" key={x.slug}>
              <input
                type="checkbox"
                name="requiredTrainings"
                value={x.slug}
                defaultChecked={m.requiredTrainings.includes(x.slug)}
              />{' '}
              {x.name}
            </label>
          ))}
        </fieldset>
        <div className="actions">
          <button type="submit" className="primary">
            {t('save')}
          </button>
          {m.agent && (
            <>
              <button type="button" onClick={() => command('unlock')}>
                {t('unlock')}
              </button>
              <button type="button" onClick={() => command('lock')}>
                {t('lock')}
              </button>
            </>
          )}
        </div>
        <Notices flash={flash} error={error} />
      </form>
      {children}
    </section>
  )
}
