// The demo panel (staff, only while the simulator runs): tap any demo badge on any
// machine from the browser, and watch the simulated relays.
import { type FormEvent, useState } from 'react'
import { api, isApiError } from '../api'
import { Notices } from '../components/Notices.js'
import { describeError } from '../lib/describe'
import { useFlash, useLoad } from '../lib/hooks'
import { useI18n } from '../lib/i18n'
import { useDebounced, useLive } from '../lib/live'
import { useSpace } from '../lib/space'
import type { Badge, SimulatedMachine } from '../lib/types'

export default function DemoPanel() {
  const { t } = useI18n()
  const space = useSpace()
  const sim = useLoad(() => api<SimulatedMachine[]>('GET', `/spaces/${space.slug}/simulator`), [space.slug])
  const badges = useLoad(() => api<Badge[]>('GET', `/spaces/${space.slug}/badges`), [space.slug])
  const [flash, showFlash] = useFlash()
  const [error, setError] = useState('')
  const refresh = useDebounced(sim.reload, 150)
  useLive('machine.state', refresh)
  useLive('session.started', refresh)
  useLive('session.ended', refresh)
  useLive('access.decision', refresh)

  // Not running (404): no panel at all.
  if (sim.error && isApiError(sim.error) && sim.error.code === 'NOT_FOUND') return null
  if (!sim.data) return null
  const active = (badges.data ?? []).filter((b) => b.active)

  async function tap(machine: string, uid: string, name: string) {
    setError('')
    try {
      await api('POST', `/spaces/${space.slug}/simulator/tap`, { machine, badge: uid })
      showFlash(t('tapSent', { name, machine: space.machineName(machine) }))
    } catch (e) {
      setError(describeError(e, t))
    }
  }
  function tapUid(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    const uid = String(form.get('uid') ?? '')
      .trim()
      .toUpperCase()
    void tap(String(form.get('machine')), uid, uid)
  }

  return (
    <section className="card demo" aria-labelledby="demo-title">
      <h2 id="demo-title">{t('demoTitle')}</h2>
      <p className="muted">{t('demoHelp')}</p>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('machine')}</th>
              <th scope="col">{t('relay')}</th>
              <th scope="col">{t('navBadges')}</th>
            </tr>
          </thead>
          <tbody>
            {sim.data.map((s) => (
              <tr key={s.machine} data-machine={s.machine}>
                <th scope="row">{space.machineName(s.machine)}</th>
                <td>
                  <span className={`relay ${s.relayOn ? 'on' : 'off'}`} data-relay={String(s.relayOn)}>
                    {t(s.relayOn === null ? 'relayUnknown' : s.relayOn ? 'relayOn' : 'relayOff')}
                  </span>
                </td>
                <td className="badge-buttons">
                  {active.map((b) => (
                    <button
                      type="button"
                      key={b.uid}
                      onClick={() => tap(s.machine, b.uid, b.member.name)}
                      aria-label={
                        active.filter((x) => x.member.id === b.member.id).length > 1
                          ? `${t('demoTap', { name: b.member.name, machine: space.machineName(s.machine) })} (${b.uid})`
                          : t('demoTap', { name: b.member.name, machine: space.machineName(s.machine) })
                      }
                    >
                      {b.member.name.split(' ')[0]}
                      {active.filter((x) => x.member.id === b.member.id).length > 1 && (
                        <small className="muted"> {b.uid.slice(-4)}</small>
                      )}
                    </button>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form className="row" onSubmit={tapUid}>
        <label>
          {t('badgeUid')}
          <input name="uid" required pattern="[0-9A-Fa-f]{4,20}" placeholder="0C00112233" />
        </label>
        <label>
          {t('machine')}
          <select name="machine">
            {sim.data.map((s) => (
              <option key={s.machine} value={s.machine}>
                {space.machineName(s.machine)}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">{t('demoTapUid')}</button>
      </form>
      <Notices flash={flash} error={error} />
    </section>
  )
}
