// Components rendered to HTML (no browser): the planning shows the hours of the SPACE's
// day, 23 or 25 on DST days; server codes and badge decisions read as sentences in
// French and English; the usage chart draws one bar per day.
import { renderToStaticMarkup } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import { describeDecision, describeError } from '../../web/src/lib/describe.js'
import { I18nContext, type Lang, locales, translate } from '../../web/src/lib/i18n.js'
import { SpaceContext, type SpaceState } from '../../web/src/lib/space.js'
import type { Machine, Me } from '../../web/src/lib/types.js'
import { Planning } from '../../web/src/pages/Planning.js'
import { chartSeries, niceMax, UsageChart } from '../../web/src/staff/UsageChart.js'

const machine = (slug: string, name: string, requiredTrainings: string[] = []): Machine => ({
  slug,
  name,
  kind: 'laser',
  status: 'available',
  walkInAllowed: true,
  cutPolicy: 'immediate',
  idleThresholdWatts: null,
  maxSessionMinutes: null,
  maxBookingMinutes: 240,
  minNoticeMinutes: 0,
  requiredTrainings,
  agent: 'demo-pi',
  live: { state: 'idle', since: null, watts: null, member: null },
})

const me: Me = {
  id: 'p1',
  email: 'alice@demo.fablab',
  name: 'Alice Martin',
  memberships: [
    {
      id: 'm1',
      role: 'maker',
      suspended: false,
      space: { slug: 'demo', name: 'FabLab Démo', timeZone: 'Europe/Paris' },
    },
  ],
}

function space(timeZone = 'Europe/Paris'): SpaceState {
  const machines = [machine('laser-1', 'Découpeuse laser', ['laser']), machine('printer-1', 'Imprimante 3D')]
  const trainings = [{ slug: 'laser', name: 'Découpe laser', validityDays: null }]
  return {
    me,
    membership: me.memberships[0]!,
    slug: 'demo',
    name: 'FabLab Démo',
    timeZone,
    role: 'maker',
    isStaff: false,
    isTrainer: false,
    machines,
    trainings,
    reloadMachines: () => {},
    machineName: (s) => machines.find((m) => m.slug === s)?.name ?? s,
    trainingName: (s) => trainings.find((t) => t.slug === s)?.name ?? s,
    machineTrainings: (s) => machines.find((m) => m.slug === s)?.requiredTrainings ?? [],
  }
}

const i18n = (lang: Lang) => ({
  lang,
  locale: locales[lang],
  t: (key: Parameters<typeof translate>[1], vars?: Record<string, string | number>) => translate(lang, key, vars),
  setLang: () => {},
})

function renderPlanning(date: string, lang: Lang = 'fr', timeZone = 'Europe/Paris') {
  return renderToStaticMarkup(
    <I18nContext.Provider value={i18n(lang)}>
      <SpaceContext.Provider value={space(timeZone)}>
        <Planning initialDate={date} initialView="day" />
      </SpaceContext.Provider>
    </I18nContext.Provider>,
  )
}

const axisLabels = (html: string) => [...html.matchAll(/class="axis-label"[^>]*>([0-9:]{5})/g)].map((m) => m[1])
const slotLabels = (html: string, machineName: string) =>
  [...html.matchAll(/aria-label="Réserver ([^"]+) le [^"]+ à ([^"]+)"/g)]
    .filter((m) => m[1] === machineName)
    .map((m) => m[2]!)

describe('the planning day view', () => {
  it('shows 24 hours on an ordinary day', () => {
    const html = renderPlanning('2026-06-15')
    expect(axisLabels(html)).toHaveLength(24)
    expect(html).toContain('Planning du lundi 15 juin 2026')
    expect(html).not.toContain('changement d’heure')
  })

  it('shows 23 hours on 29 March 2026 in Paris, without 02:00, and says why', () => {
    const html = renderPlanning('2026-03-29')
    const hours = axisLabels(html)
    expect(hours).toHaveLength(23)
    expect(hours.slice(0, 3)).toEqual(['00:00', '01:00', '03:00'])
    expect(html).toContain('23 heures ce jour-là (changement d’heure)')
    const slots = slotLabels(html, 'Découpeuse laser')
    expect(slots).toHaveLength(23)
    expect(slots).not.toContain('02:00')
    expect(html).toContain('aria-label="Réserver Découpeuse laser le dimanche 29 mars à 10:00"')
  })

  it('shows 25 hours on 25 October 2026 in Paris, the two 02:00 told apart', () => {
    const html = renderPlanning('2026-10-25')
    expect(axisLabels(html)).toHaveLength(25)
    expect(html).toContain('25 heures ce jour-là')
    const slots = slotLabels(html, 'Imprimante 3D')
    expect(slots.filter((s) => s.startsWith('02:00'))).toEqual(['02:00 (UTC+2)', '02:00 (UTC+1)'])
  })

  it('follows the space’s zone, not the computer’s: 8 March 2026 is short in New York only', () => {
    expect(axisLabels(renderPlanning('2026-03-08', 'fr', 'America/New_York'))).toHaveLength(23)
    expect(axisLabels(renderPlanning('2026-03-08', 'fr', 'Europe/Paris'))).toHaveLength(24)
  })

  it('speaks English when asked', () => {
    const html = renderPlanning('2026-10-25', 'en')
    expect(html).toContain('25 hours on this day (clock change)')
    expect(html).toMatch(/aria-label="Book Découpeuse laser on Sunday,? 25 October at 10:00"/)
  })
})

describe('server codes and decisions in words', () => {
  const names = {
    training: (s: string) => (s === 'laser' ? 'Découpe laser' : s),
    machineTrainings: (m: string) => (m === 'laser-1' ? ['laser'] : []),
    timeZone: 'Europe/Paris',
  }
  const fr = i18n('fr').t
  const en = i18n('en').t

  it('explains TRAINING_REQUIRED and BOOKING_CONFLICT', () => {
    const training = {
      statusCode: 403,
      code: 'TRAINING_REQUIRED',
      message: 'Découpeuse laser requires the training laser',
      details: { missing: ['laser'] },
    }
    expect(describeError(training, fr, names)).toBe(
      'Formation requise : Découpe laser. Demandez à l’équipe de vous former avant de réserver.',
    )
    expect(describeError(training, en, names)).toBe(
      'Training required: Découpe laser. Ask the staff to train you before booking.',
    )
    const conflict = {
      statusCode: 409,
      code: 'BOOKING_CONFLICT',
      message: 'x',
      details: { conflict: { start: '2026-03-29T08:00:00.000Z', end: '2026-03-29T09:00:00.000Z' } },
    }
    expect(describeError(conflict, fr, names)).toBe('Ce créneau chevauche une autre réservation (10:00–11:00).')
    expect(describeError({ statusCode: 0, code: 'NETWORK', message: '' }, fr)).toContain('ne répond pas')
    expect(describeError({ statusCode: 418, code: 'SOMETHING_NEW', message: '' }, fr)).toContain('SOMETHING_NEW')
  })

  it('says who was refused and why', () => {
    const bob = {
      decision: 'denied',
      reason: 'training_missing',
      badgeUid: '0B0056CD78',
      member: { name: 'Bob Durand' },
      machine: 'laser-1',
    }
    expect(describeDecision(bob, fr, names)).toBe('Bob Durand refusé : formation Découpe laser requise')
    expect(describeDecision(bob, en, names)).toBe('Bob Durand refused: Découpe laser training required')
    expect(
      describeDecision(
        { decision: 'denied', reason: 'unknown_badge', badgeUid: '0C00112233', member: null, machine: 'printer-1' },
        fr,
        names,
      ),
    ).toBe('Badge inconnu 0C00112233 refusé : badge inconnu')
    expect(
      describeDecision({ ...bob, decision: 'granted', reason: 'walk_in', member: { name: 'Alice Martin' } }, fr, names),
    ).toBe('Alice Martin autorisé : accès libre')
    // The training the agent names wins over the machine's list (e.g. one of several expired).
    expect(describeDecision({ ...bob, reason: 'training_expired', training: 'soudure' }, fr, names)).toContain(
      'soudure',
    )
  })
})

describe('the usage chart', () => {
  it('has one bar group per local day, stacked by machine', () => {
    const data = [
      { date: '2026-03-28', machine: 'laser-1', seconds: 5400, sessions: 1 },
      { date: '2026-03-30', machine: 'printer-1', seconds: 7200, sessions: 2 },
      { date: '2026-03-30', machine: 'laser-1', seconds: 3600, sessions: 1 },
    ]
    const series = chartSeries(data, '2026-03-28', '2026-03-30', ['laser-1', 'printer-1'])
    expect(series).toEqual([
      { date: '2026-03-28', values: [1.5, 0] },
      { date: '2026-03-29', values: [0, 0] },
      { date: '2026-03-30', values: [1, 2] },
    ])
    expect(niceMax(3)).toBe(5)
    expect(niceMax(0)).toBe(1)
    const html = renderToStaticMarkup(
      <I18nContext.Provider value={i18n('fr')}>
        <UsageChart
          data={data}
          first="2026-03-28"
          last="2026-03-30"
          machines={[
            { slug: 'laser-1', name: 'Découpeuse laser' },
            { slug: 'printer-1', name: 'Imprimante 3D' },
          ]}
        />
      </I18nContext.Provider>,
    )
    expect(html).toContain('<svg')
    expect(html.match(/<rect /g)).toHaveLength(3)
    expect(html).toContain('Découpeuse laser : 2,5 h')
    expect(html).toContain('>h</text>')
  })
})

describe('the usage chart for short use', () => {
  it('counts minutes when no day reaches an hour', () => {
    const html = renderToStaticMarkup(
      <I18nContext.Provider value={i18n('fr')}>
        <UsageChart
          data={[{ date: '2026-10-25', machine: 'laser-1', seconds: 600, sessions: 1 }]}
          first="2026-10-25"
          last="2026-10-25"
          machines={[{ slug: 'laser-1', name: 'Découpeuse laser' }]}
        />
      </I18nContext.Provider>,
    )
    expect(html).toContain('>min</text>')
    expect(html).toContain('Découpeuse laser : 10 min')
  })
})
