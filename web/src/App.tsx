// The web app's shell: language, login, the space switcher, the navigation for the
// person's role, the live connection, and the screens. Staff screens load on demand.
import { lazy, type ReactNode, Suspense, useCallback, useEffect, useMemo, useState } from 'react'
import type { Socket } from 'socket.io-client'
import { api, whenUnauthenticated } from './api'
import { I18nContext, initialLang, type Key, type Lang, locales, translate, useI18n } from './lib/i18n'
import { forSpace, LiveContext, LiveSpaceContext, openLive, useDebounced, useLive, useLiveConnected } from './lib/live'
import { navigate, usePath } from './lib/router'
import { applyMachineState, atLeast, SpaceContext, type SpaceState } from './lib/space'
import type { LiveMachineState, LiveSessionEnded, LiveSessionStarted, Machine, Me, Role, Training } from './lib/types'
import { Login } from './pages/Login'
import { MySpace } from './pages/MySpace'
import { Planning } from './pages/Planning'
import { Workshop } from './pages/Workshop'

const Members = lazy(() => import('./staff/Members'))
const Badges = lazy(() => import('./staff/Badges'))
const Trainings = lazy(() => import('./staff/Trainings'))
const Machines = lazy(() => import('./staff/Machines'))
const Agents = lazy(() => import('./staff/Agents'))
const UsageLog = lazy(() => import('./staff/UsageLog'))
const Billing = lazy(() => import('./staff/Billing'))

interface Screen {
  path: string
  label: Key
  min: Role
  render: () => ReactNode
}

const screens: Screen[] = [
  { path: '/planning', label: 'navPlanning', min: 'maker', render: () => <Planning /> },
  { path: '/atelier', label: 'navWorkshop', min: 'maker', render: () => <Workshop /> },
  { path: '/moi', label: 'navMe', min: 'maker', render: () => <MySpace /> },
  { path: '/equipe/membres', label: 'navMembers', min: 'trainer', render: () => <Members /> },
  { path: '/equipe/badges', label: 'navBadges', min: 'staff', render: () => <Badges /> },
  { path: '/equipe/formations', label: 'navTrainings', min: 'trainer', render: () => <Trainings /> },
  { path: '/equipe/machines', label: 'navMachines', min: 'staff', render: () => <Machines /> },
  { path: '/equipe/agents', label: 'navAgents', min: 'staff', render: () => <Agents /> },
  { path: '/journal', label: 'navLog', min: 'trainer', render: () => <UsageLog /> },
  { path: '/equipe/facturation', label: 'navBilling', min: 'staff', render: () => <Billing /> },
]

export function App() {
  const [lang, setLangState] = useState<Lang>(initialLang)
  const i18n = useMemo(
    () => ({
      lang,
      locale: locales[lang],
      t: (key: Key, vars?: Record<string, string | number>) => translate(lang, key, vars),
      setLang: (next: Lang) => {
        setLangState(next)
        try {
          localStorage.setItem('lang', next)
        } catch {
          // no storage: the choice lasts for this page
        }
      },
    }),
    [lang],
  )
  useEffect(() => {
    document.documentElement.lang = lang
  }, [lang])

  const [me, setMe] = useState<Me | null | undefined>(undefined)
  useEffect(() => {
    api<Me>('GET', '/auth/me').then(setMe, () => setMe(null))
    whenUnauthenticated(() => setMe(null))
  }, [])

  return (
    <I18nContext.Provider value={i18n}>
      {me === undefined ? (
        <main aria-busy="true" className="page">
          <p>{i18n.t('loading')}</p>
        </main>
      ) : me === null ? (
        <Login onLogin={setMe} />
      ) : (
        <LoggedIn me={me} onLogout={() => setMe(null)} />
      )}
    </I18nContext.Provider>
  )
}

function LoggedIn({ me, onLogout }: { me: Me; onLogout: () => void }) {
  const [socket, setSocket] = useState<Socket | null>(null)
  useEffect(() => {
    const s = openLive()
    setSocket(s)
    return () => {
      s.close()
    }
  }, [])
  const [spaceSlug, setSpaceSlug] = useState<string | null>(() => {
    const saved = localStorage.getItem('space')
    return me.memberships.find((m) => m.space.slug === saved)?.space.slug ?? me.memberships[0]?.space.slug ?? null
  })
  const chooseSpace = (slug: string) => {
    setSpaceSlug(slug)
    localStorage.setItem('space', slug)
  }
  const membership = me.memberships.find((m) => m.space.slug === spaceSlug) ?? null
  return (
    <LiveContext.Provider value={socket}>
      {membership ? (
        <SpaceShell
          key={membership.space.slug}
          me={me}
          membership={membership}
          onSpace={chooseSpace}
          onLogout={onLogout}
        />
      ) : (
        <Frame me={me} onLogout={onLogout}>
          <NoSpace />
        </Frame>
      )}
    </LiveContext.Provider>
  )
}

function NoSpace() {
  const { t } = useI18n()
  return <p>{t('noSpace')}</p>
}

function SpaceShell({
  me,
  membership,
  onSpace,
  onLogout,
}: {
  me: Me
  membership: Me['memberships'][number]
  onSpace: (slug: string) => void
  onLogout: () => void
}) {
  const slug = membership.space.slug
  const [machines, setMachines] = useState<Machine[]>([])
  const [trainings, setTrainings] = useState<Training[]>([])
  const [tick, setTick] = useState(0)
  const reloadMachines = useCallback(() => setTick((n) => n + 1), [])
  // biome-ignore lint/correctness/useExhaustiveDependencies: tick reloads
  useEffect(() => {
    api<Machine[]>('GET', `/spaces/${slug}/machines`).then(setMachines, () => {})
  }, [slug, tick])
  useEffect(() => {
    api<Training[]>('GET', `/spaces/${slug}/trainings`).then(setTrainings, () => {})
  }, [slug])
  const reloadSoon = useDebounced(reloadMachines, 300)
  const known = (machine: string) => machines.some((m) => m.slug === machine)
  useLive<LiveMachineState>('machine.state', (p) => {
    if (!forSpace(p, slug) || !known(p.machine)) return
    setMachines((list) => applyMachineState(list, p))
    // Makers get no session.started: fetch who is on the machine.
    if (p.state === 'in_use') reloadSoon()
  })
  useLive<LiveSessionStarted>('session.started', (p) => {
    if (!forSpace(p, slug) || !known(p.machine)) return
    setMachines((list) =>
      list.map((m) =>
        m.slug === p.machine ? { ...m, live: { ...m.live, state: 'in_use', since: p.at, member: p.member } } : m,
      ),
    )
  })
  useLive<LiveSessionEnded>('session.ended', (p) => {
    if (!forSpace(p, slug) || !known(p.machine)) return
    setMachines((list) => applyMachineState(list, { machine: p.machine, state: 'idle', since: p.at }))
  })
  const socketUp = useLiveConnected()
  useEffect(() => {
    if (socketUp) reloadMachines()
  }, [socketUp, reloadMachines])

  const space = useMemo<SpaceState>(() => {
    const machineNames = new Map(machines.map((m) => [m.slug, m.name]))
    const trainingNames = new Map(trainings.map((t) => [t.slug, t.name]))
    return {
      me,
      membership,
      slug,
      name: membership.space.name,
      timeZone: membership.space.timeZone,
      role: membership.role,
      isStaff: atLeast(membership.role, 'staff'),
      isTrainer: atLeast(membership.role, 'trainer'),
      machines,
      trainings,
      reloadMachines,
      machineName: (s) => machineNames.get(s) ?? s,
      trainingName: (s) => trainingNames.get(s) ?? s,
      machineTrainings: (s) => machines.find((m) => m.slug === s)?.requiredTrainings ?? [],
    }
  }, [me, membership, slug, machines, trainings, reloadMachines])

  const path = usePath()
  const allowed = screens.filter((s) => atLeast(membership.role, s.min))
  const current = allowed.find((s) => path === s.path || path.startsWith(`${s.path}/`)) ?? allowed[0]!
  useEffect(() => {
    if (path !== current.path) navigate(current.path, true)
  }, [path, current.path])
  const { t } = useI18n()
  useEffect(() => {
    document.title = `${t(current.label)} · ${membership.space.name}`
  }, [t, current.label, membership.space.name])

  return (
    <SpaceContext.Provider value={space}>
      <LiveSpaceContext.Provider value={slug}>
        <Frame
          me={me}
          onLogout={onLogout}
          membership={membership}
          onSpace={onSpace}
          screens={allowed}
          current={current}
        >
          {membership.suspended && (
            <p className="notice warning" role="status">
              {t('suspendedNotice')}
            </p>
          )}
          <Suspense fallback={<p aria-busy="true">{t('loading')}</p>}>{current.render()}</Suspense>
        </Frame>
      </LiveSpaceContext.Provider>
    </SpaceContext.Provider>
  )
}

function Frame({
  me,
  onLogout,
  membership,
  onSpace,
  screens: items = [],
  current,
  children,
}: {
  me: Me
  onLogout: () => void
  membership?: Me['memberships'][number]
  onSpace?: (slug: string) => void
  screens?: Screen[]
  current?: Screen
  children: ReactNode
}) {
  const { t, lang, setLang } = useI18n()
  const connected = useLiveConnected()
  return (
    <div className="app">
      <a className="skip" href="#content">
        {lang === 'fr' ? 'Aller au contenu' : 'Skip to content'}
      </a>
      <header className="topbar">
        <div className="brand">
          <strong>{t('appName')}</strong>
          {membership && me.memberships.length > 1 && onSpace ? (
            <label className="inline">
              <span className="sr-only">{t('space')}</span>
              <select value={membership.space.slug} onChange={(e) => onSpace(e.target.value)}>
                {me.memberships.map((m) => (
                  <option key={m.id} value={m.space.slug}>
                    {m.space.name}
                  </option>
                ))}
              </select>
            </label>
          ) : (
            membership && <span className="space-name">{membership.space.name}</span>
          )}
          <span className={`live-dot ${connected ? 'on' : 'off'}`} title={t(connected ? 'connected' : 'disconnected')}>
            <span className="sr-only">{t(connected ? 'connected' : 'disconnected')}</span>
          </span>
        </div>
        <div className="user">
          <span>
            {me.name}
            {membership && <small> · {t(`role_${membership.role}` as Key)}</small>}
          </span>
          <label className="inline">
            <span className="sr-only">{t('language')}</span>
            <select value={lang} onChange={(e) => setLang(e.target.value as Lang)} aria-label={t('language')}>
              <option value="fr">Français</option>
              <option value="en">English</option>
            </select>
          </label>
          <button
            type="button"
            onClick={() =>
              api('POST', '/auth/logout')
                .catch(() => {})
                .finally(() => {
                  sessionStorage.removeItem('csrf')
                  onLogout()
                })
            }
          >
            {t('logout')}
          </button>
        </div>
        {items.length > 0 && (
          <nav aria-label={t('mainNav')} className="mainnav">
            <ul>
              {items.map((s) => (
                <li key={s.path}>
                  <a
                    href={s.path}
                    aria-current={current?.path === s.path ? 'page' : undefined}
                    onClick={(e) => {
                      if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return
                      e.preventDefault()
                      navigate(s.path)
                    }}
                  >
                    {t(s.label)}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
      </header>
      <main id="content" className="page" tabIndex={-1}>
        {children}
      </main>
    </div>
  )
}
