// The web app end to end in a real Chromium against the real server: demo data, a real
// MQTT broker and the simulated demo agent. The browser runs in New York time while the
// space is in Paris: every time shown must be the space's.
import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Agent } from '../../agent/agent.js'
import { startSimulator } from '../../server/simulator.js'
import { addDays, fromLocalFields, localDate } from '../../web/src/lib/time.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

const root = join(import.meta.dirname, '../..')
const dist = join(root, 'web/dist')
const shots = join(root, 'test-results/screenshots')
const TZ = 'Europe/Paris'
const PASSWORD = 'demo1234'

let server: TestServer
let simulator: Agent | null = null
let browser: Browser
let base: string
const dataDir = mkdtempSync(join(tmpdir(), 'fablab-web-'))
const contexts: BrowserContext[] = []

// Tomorrow in the space's zone, whatever the zone of this machine or of the browser.
const tomorrow = addDays(localDate(new Date(), TZ), 1)

beforeAll(async () => {
  mkdirSync(shots, { recursive: true })
  // Build the web app, then start the server on it (it serves web/dist when index.html exists).
  await promisify(execFile)(process.execPath, [
    join(root, 'node_modules/vite/bin/vite.js'),
    'build',
    '--config',
    join(root, 'web/vite.config.ts'),
    '--logLevel',
    'error',
  ])
  server = await startTestServer({ broker: true, config: { dataDir, webDist: dist } })
  await server.app.listen({ port: 0, host: '127.0.0.1' })
  base = `http://127.0.0.1:${(server.app.server.address() as { port: number }).port}`
  const [agent, launched] = await Promise.all([
    // The agent fetches its first rights right after start: listen before they can arrive.
    startSimulator(server.database.db, server.app.config, base, server.broker!.url, () => {}).then(async (a) => {
      if (!a) throw new Error('the simulator did not start')
      await once(a, 'rights')
      return a
    }),
    chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'], headless: true }),
  ])
  browser = launched
  simulator = agent
  server.app.simulator = agent
}, 60_000)

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {})
  await browser?.close()
  await simulator?.stop()
  await server?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

async function logIn(email: string): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    locale: 'fr-FR',
    timezoneId: 'America/New_York',
    acceptDownloads: true,
  })
  contexts.push(context)
  context.setDefaultTimeout(15_000)
  const page = await context.newPage()
  page.on('pageerror', (error) => console.error(`page error (${email}):`, error))
  await page.goto(`${base}/`)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Mot de passe').fill(PASSWORD)
  await page.getByRole('button', { name: 'Se connecter' }).click()
  await page.getByRole('heading', { level: 1, name: 'Planning' }).waitFor()
  return page
}

/** The day view of tomorrow in the planning. */
async function planningTomorrow(page: Page) {
  await page.getByRole('button', { name: 'Jour', exact: true }).click()
  await page.getByRole('button', { name: 'Jour suivant' }).click()
  await page.locator(`.machine-col[data-machine="laser-1"][data-date="${tomorrow}"]`).waitFor()
}

/** Resolves once the locator holds an element containing the text (Playwright waits, no sleeps). */
const showing = (locator: Locator, text: string | RegExp) =>
  locator.filter({ hasText: text }).first().waitFor({ timeout: 15_000 })
/** The locator's text, polled until the assertion holds. */
const textOf = (locator: Locator) => expect.poll(() => locator.innerText(), { timeout: 15_000 })

const slot = (page: Page, machine: string, time: string) =>
  page.getByRole('button', { name: new RegExp(`^Réserver ${machine} le .+ à ${time}$`) })

describe('the web app in a browser', () => {
  let bob: Page

  it('keeps the initial JavaScript of web/dist under 250 kB gzip', () => {
    const html = readFileSync(join(dist, 'index.html'), 'utf8')
    const scripts = [
      ...html.matchAll(/<script[^>]+src="([^"]+\.js)"/g),
      ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+\.js)"/g),
    ].map((m) => m[1]!)
    expect(scripts.length).toBeGreaterThan(0)
    const bytes = scripts.reduce((sum, src) => sum + gzipSync(readFileSync(join(dist, src))).length, 0)
    expect(bytes).toBeLessThanOrEqual(250_000)
  })

  it('alice books laser-1 tomorrow 10:00–11:00 (space time) and sees it; bob’s open planning shows it live', async () => {
    // Bob watches tomorrow's planning before Alice books.
    bob = await logIn('bob@demo.fablab')
    await planningTomorrow(bob)
    expect(await bob.locator('.booking').count()).toBe(0)

    const alice = await logIn('alice@demo.fablab')
    await planningTomorrow(alice)
    await slot(alice, 'Découpeuse laser', '10:00').click()
    const form = alice.locator('.booking-form')
    expect(await form.getByLabel('Début').inputValue()).toBe('10:00')
    expect(await form.getByLabel('Fin').inputValue()).toBe('11:00')
    expect(await form.getByLabel('Date').inputValue()).toBe(tomorrow)
    await form.getByRole('button', { name: 'Réserver' }).click()
    await alice.getByRole('status').filter({ hasText: 'Réservation enregistrée' }).waitFor()
    const block = alice.locator('.machine-col[data-machine="laser-1"] .booking.mine')
    await showing(block, '10:00–11:00')
    await textOf(block).toContain('Ma réservation')

    // Stored in UTC as 10:00 Paris time, although the browser lives in New York.
    const booking = await server.database.db.booking.findFirstOrThrow({
      where: { machine: { slug: 'laser-1' }, member: { person: { email: 'alice@demo.fablab' } } },
    })
    expect(booking.start.toISOString()).toBe(fromLocalFields(tomorrow, '10:00', TZ).toISOString())
    expect(booking.end.toISOString()).toBe(fromLocalFields(tomorrow, '11:00', TZ).toISOString())
    await alice.screenshot({ path: join(shots, 'planning.png') })

    // Bob did nothing: the slot appears on his page through socket.io, without whose it is.
    const seen = bob.locator('.machine-col[data-machine="laser-1"] .booking.other')
    await showing(seen, '10:00–11:00')
    expect(await seen.innerText()).toContain('Réservé')
    expect(await seen.innerText()).not.toContain('Alice')
  })

  it('bob cannot book laser-1 and is told the laser training is required', async () => {
    await slot(bob, 'Découpeuse laser', '14:00').click()
    // The rules are on the form before submitting…
    await textOf(bob.locator('.booking-form')).toContain('formation requise : Découpe laser')
    await textOf(bob.locator('.booking-form')).toContain('durée maximale : 4 h 00')
    // …and the refusal says why after.
    await bob.locator('.booking-form').getByRole('button', { name: 'Réserver' }).click()
    const alert = bob.locator('.booking-form [role="alert"]')
    await textOf(alert).toBe('Formation requise : Découpe laser. Demandez à l’équipe de vous former avant de réserver.')
    expect(
      await server.database.db.booking.count({ where: { member: { person: { email: 'bob@demo.fablab' } } } }),
    ).toBe(0)

    // English on request, remembered across reloads.
    await bob.getByLabel('Langue').selectOption('en')
    await bob.getByRole('link', { name: 'Workshop' }).click()
    await bob.getByRole('heading', { level: 1, name: 'The workshop, live' }).waitFor()
    await bob.reload()
    await bob.getByRole('heading', { level: 1, name: 'The workshop, live' }).waitFor()
    expect(await bob.evaluate(() => document.documentElement.lang)).toBe('en')
  })

  it('staff see simulated taps live in the workshop, then in the usage log, and export it as CSV', async () => {
    const staff = await logIn('staff@demo.fablab')
    await staff.getByRole('link', { name: 'Atelier' }).click()
    const laser = staff.locator('.machine-card[data-machine="laser-1"]')
    await textOf(laser.locator('.state strong')).toBe('Libre')
    await staff.getByRole('heading', { name: 'Panneau de démonstration' }).waitFor()

    // A tap from outside the page (the simulator API): the page learns it over socket.io.
    const csrf = await staff.evaluate(() => sessionStorage.getItem('csrf'))
    const tap = await staff.request.post(`${base}/api/v1/spaces/demo/simulator/tap`, {
      headers: { 'x-csrf-token': csrf ?? '' },
      data: { machine: 'laser-1', badge: '0A0012AB34' },
    })
    expect(tap.status()).toBe(202)
    await textOf(laser.locator('.state strong')).toBe('En cours')
    await showing(laser, /Utilisée par Alice Martin depuis \d\d:\d\d/)
    const decisions = staff.locator('ol.decisions')
    await showing(decisions, 'Alice Martin autorisé : accès libre')

    // Bob's badge from the demo panel: refused, with the reason in words.
    await staff.getByRole('button', { name: 'Passer le badge de Bob Durand sur Découpeuse laser' }).click()
    await showing(decisions, 'Bob Durand refusé : formation Découpe laser requise')
    await textOf(staff.locator('.demo tr[data-machine="laser-1"] .relay')).toBe('allumé')
    await staff.screenshot({ path: join(shots, 'live.png'), fullPage: true })

    // Alice badges again: her session ends.
    await staff.getByRole('button', { name: 'Passer le badge de Alice Martin sur Découpeuse laser' }).click()
    await textOf(laser.locator('.state strong')).toBe('Libre')
    await textOf(staff.locator('.demo tr[data-machine="laser-1"] .relay')).toBe('éteint')

    await staff.getByRole('link', { name: 'Journal' }).click()
    const session = staff.locator('table.sessions tbody tr').filter({ hasText: 'Alice Martin' })
    await showing(session, 'badge repassé')
    expect(await session.count()).toBe(1)
    expect(await session.innerText()).toContain('Découpeuse laser')
    await showing(staff.locator('table.events tr'), 'Bob Durand refusé : formation Découpe laser requise')
    await staff.locator('.chart svg rect').first().waitFor()
    await staff.screenshot({ path: join(shots, 'usage-log.png'), fullPage: true })

    const [download] = await Promise.all([
      staff.waitForEvent('download'),
      staff.getByRole('link', { name: 'Exporter les sessions (CSV)' }).click(),
    ])
    expect(download.suggestedFilename()).toMatch(/^sessions-demo-\d{4}-\d{2}-\d{2}\.csv$/)
    const csv = readFileSync((await download.path())!, 'utf8')
    const stored = await server.database.db.usageSession.findFirstOrThrow({ where: { machine: { slug: 'laser-1' } } })
    const lines = csv.split('\r\n')
    expect(lines[0]).toContain('started_at,ended_at,duration_minutes,machine,member_name,member_email')
    const row = lines.find((l) => l.includes(stored.startedAt.toISOString()))
    expect(row).toBeDefined()
    expect(row).toContain('laser-1')
    expect(row).toContain('alice@demo.fablab')
    expect(row).toContain('same_badge')
  })
})
