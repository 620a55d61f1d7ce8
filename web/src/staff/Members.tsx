// Members (trainers read, staff change): create, role, price group, suspend.
import { type FormEvent, useState } from 'react'
import { api, query } from '../api'
import { Notices } from '../components/Notices.js'
import { describeError } from '../lib/describe'
import { useFlash, useLoad } from '../lib/hooks'
import { type Key, useI18n } from '../lib/i18n'
import { useSpace } from '../lib/space'
import type { Member, PriceGroup, Role } from '../lib/types'

const roles: Role[] = ['maker', 'trainer', 'staff', 'admin']

export default function Members() {
  const { t } = useI18n()
  const space = useSpace()
  const [q, setQ] = useState('')
  const members = useLoad(() => api<Member[]>('GET', `/spaces/${space.slug}/members${query({ q })}`), [space.slug, q])
  const groups = useLoad(() => api<PriceGroup[]>('GET', `/spaces/${space.slug}/price-groups`), [space.slug])
  const [flash, showFlash] = useFlash()
  const [error, setError] = useState('')
  const canEdit = space.isStaff
  // Only admins give or take the staff and admin roles.
  const assignable = (current: Role) =>
    roles.filter((r) => space.role === 'admin' || (r !== 'staff' && r !== 'admin') || r === current)

  async function patch(m: Member, body: Record<string, unknown>) {
    setError('')
    try {
      const updated = await api<Member>('PATCH', `/spaces/${space.slug}/members/${m.id}`, body)
      members.set((list) => list?.map((x) => (x.id === m.id ? updated : x)))
      showFlash(t('saved'))
    } catch (e) {
      setError(describeError(e, t))
      members.reload()
    }
  }

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const formEl = event.currentTarget
    const form = new FormData(formEl)
    setError('')
    try {
      const created = await api<Member>('POST', `/spaces/${space.slug}/members`, {
        email: String(form.get('email')).trim(),
        name: String(form.get('name')).trim(),
        role: form.get('role'),
        priceGroup: form.get('priceGroup') || undefined,
        password: form.get('password') || undefined,
      })
      formEl.reset()
      showFlash(t('memberCreated', { name: created.name }))
      members.reload()
    } catch (e) {
      setError(describeError(e, t))
    }
  }

  return (
    <div>
      <div className="page-head">
        <h1>{t('navMembers')}</h1>
      </div>
      <label className="inline search">
        {t('search')} <input type="search" value={q} onChange={(e) => setQ(e.target.value)} />
      </label>
      <Notices flash={flash} error={error} />
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('name')}</th>
              <th scope="col">{t('email')}</th>
              <th scope="col">{t('role')}</th>
              <th scope="col">{t('priceGroup')}</th>
              <th scope="col">{t('navTrainings')}</th>
              <th scope="col">{t('actions')}</th>
            </tr>
          </thead>
          <tbody>
            {(members.data ?? []).map((m) => (
              <tr key={m.id} className={m.suspended ? 'suspended' : ''}>
                <th scope="row">
                  {m.name} {m.suspended && <span className="tag warn">{t('suspended')}</span>}
                </th>
                <td>{m.email}</td>
                <td>
                  {canEdit ? (
                    <select
                      aria-label={`${t('role')} — ${m.name}`}
                      value={m.role}
                      onChange={(e) => patch(m, { role: e.target.value })}
                    >
                      {assignable(m.role).map((r) => (
                        <option key={r} value={r}>
                          {t(`role_${r}` as Key)}
                        </option>
                      ))}
                    </select>
                  ) : (
                    t(`role_${m.role}` as Key)
                  )}
                </td>
                <td>
                  {canEdit ? (
                    <select
                      aria-label={`${t('priceGroup')} — ${m.name}`}
                      value={m.priceGroup ?? ''}
                      onChange={(e) => patch(m, { priceGroup: e.target.value || null })}
                    >
                      <option value="">{t('none')}</option>
                      {(groups.data ?? []).map((g) => (
                        <option key={g.slug} value={g.slug}>
                          {g.name}
                        </option>
                      ))}
                    </select>
                  ) : (
                    (groups.data?.find((g) => g.slug === m.priceGroup)?.name ?? m.priceGroup ?? t('none'))
                  )}
                </td>
                <td>{m.trainings.map((g) => space.trainingName(g.training)).join(', ') || t('none')}</td>
                <td>
                  {canEdit && m.id !== space.membership.id && (
                    <button type="button" className="small" onClick={() => patch(m, { suspended: !m.suspended })}>
                      {t(m.suspended ? 'reinstate' : 'suspend')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {canEdit && (
        <form className="card stack" onSubmit={create} aria-labelledby="new-member">
          <h2 id="new-member">{t('newMember')}</h2>
          <div className="fields">
            <label>
              {t('name')}
              <input name="name" required maxLength={200} />
            </label>
            <label>
              {t('email')}
              <input name="email" type="email" required />
            </label>
            <label>
              {t('role')}
              <select name="role" defaultValue="maker">
                {assignable('maker').map((r) => (
                  <option key={r} value={r}>
                    {t(`role_${r}` as Key)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {t('priceGroup')}
              <select name="priceGroup" defaultValue="">
                <option value="">{t('none')}</option>
                {(groups.data ?? []).map((g) => (
                  <option key={g.slug} value={g.slug}>
                    {g.name}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {t('optionalPassword')}
              <input name="password" type="password" minLength={8} autoComplete="new-password" />
            </label>
          </div>
          <div className="actions">
            <button type="submit" className="primary">
              {t('create')}
            </button>
          </div>
        </form>
      )}
    </div>
  )
}
