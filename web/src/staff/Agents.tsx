// Agents (staff): online or not, last seen, version, rights held versus latest; identify.
import { useState } from 'react'
import { api } from '../api'
import { Notices } from '../components/Notices.js'
import { describeError } from '../lib/describe'
import { useFlash, useLoad } from '../lib/hooks'
import { useI18n } from '../lib/i18n'
import { useDebounced, useLive } from '../lib/live'
import { useSpace } from '../lib/space'
import { formatDateTime } from '../lib/time'
import type { AgentInfo } from '../lib/types'

export default function Agents() {
  const { t, locale } = useI18n()
  const space = useSpace()
  const agents = useLoad(() => api<AgentInfo[]>('GET', `/spaces/${space.slug}/agents`), [space.slug])
  const reloadSoon = useDebounced(agents.reload, 300)
  useLive('agent.status', reloadSoon)
  const [flash, showFlash] = useFlash()
  const [error, setError] = useState('')

  async function identify(slug: string) {
    setError('')
    try {
      await api('POST', `/spaces/${space.slug}/agents/${slug}/identify`)
      showFlash(t('commandSent', { agent: slug }))
    } catch (e) {
      setError(describeError(e, t))
    }
  }

  return (
    <div>
      <div className="page-head">
        <h1>{t('agentsTitle')}</h1>
      </div>
      <Notices flash={flash} error={error} />
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('agent')}</th>
              <th scope="col">{t('status')}</th>
              <th scope="col">{t('lastSeen')}</th>
              <th scope="col">{t('version')}</th>
              <th scope="col">{t('rights')}</th>
              <th scope="col">{t('pendingEvents')}</th>
              <th scope="col">{t('machines')}</th>
              <th scope="col">{t('actions')}</th>
            </tr>
          </thead>
          <tbody>
            {(agents.data ?? []).map((a) => (
              <tr key={a.slug} data-agent={a.slug}>
                <th scope="row">
                  {a.name} <small className="muted">({a.slug})</small>
                </th>
                <td>
                  <span className={`tag ${a.online ? 'ok' : 'warn'}`}>{t(a.online ? 'online' : 'offline')}</span>
                </td>
                <td>{a.lastSeenAt ? formatDateTime(a.lastSeenAt, space.timeZone, locale) : t('never')}</td>
                <td>{a.version ?? t('none')}</td>
                <td>
                  {a.heldRightsVersion >= a.rightsVersion ? (
                    t('rightsUpToDate', { version: a.rightsVersion })
                  ) : (
                    <span className="warn-text">
                      {t('rightsBehind', { held: a.heldRightsVersion, latest: a.rightsVersion })}
                    </span>
                  )}
                </td>
                <td className={a.pendingEvents > 0 ? 'warn-text' : undefined}>{a.pendingEvents}</td>
                <td>{a.machines.map(space.machineName).join(', ')}</td>
                <td>
                  <button type="button" className="small" onClick={() => identify(a.slug)}>
                    {t('identify')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  )
}
