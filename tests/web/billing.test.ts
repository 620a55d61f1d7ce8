// Billing in the web app, in a real Chromium against the real server and demo data: staff
// preview and issue last month's invoices (the space's month, in Paris time), open the PDF,
// check the chain; Alice sees her invoice, what her session cost and her prepaid credit;
// staff record a top-up typed in euros; rates are edited in euros on the Machines screen.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ingestEvent } from '../../server/services/ingest.js'
import { formatMoney, inclVat, parseAmount, previousMonth } from '../../web/src/lib/money.js'
import { fromLocalFields, localDate } from '../../web/src/lib/time.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

const root = join(import.meta.dirname, '../..')
const shots = join(root, 'test-results/screenshots')
const TZ = 'Europe/Paris'
const PASSWORD = 'demo1234'

let server: TestServer
let browser: Browser
let base: string
const dataDir = mkdtempSync(join(tmpdir(), 'fablab-billing-web-'))
// A build of its own: tests/web/browser.test.ts empties and rebuilds web/dist, maybe at the same time.
const dist = mkdtempSync(join(tmpdir(), 'fablab-billing-dist-'))
const contexts: BrowserContext[] = []

// Last month in the space's zone (what the screen proposes), and the year invoices are numbered in.
const month = previousMonth(TZ)
const invoiceNumber = `FAB-${localDate(new Date(), TZ).slice(0, 4)}-000001`

/** Alice on laser-1 for an hour on the 10th of last month, reported by the demo agent. */
async function aliceSession() {
  const db = server.database.db
  const agent = await db.agent.findUniqueOrThrow({ where: { slug: 'demo-pi' } })
  const alice = await db.membership.findFirstOrThrow({ where: { person: { email: 'alice@demo.fablab' } } })
  const sessionId = 'billing-web-1'
  const start = fromLocalFields(`${month}-10`, '10:00', TZ)
  const body = { sessionId, memberId: alice.id }
  await ingestEvent(db, agent, {
    id: `${sessionId}-a`,
    seq: 1,
    type: 'session.started',
    at: start.toISOString(),
    machine: 'laser-1',
    body,
  })
  await ingestEvent(db, agent, {
    id: `${sessionId}-b`,
    seq: 2,
    type: 'session.ended',
    at: new Date(start.getTime() + 3_600_000).toISOString(),
    machine: 'laser-1',
    body: { ...body, endCause: 'same_badge', durationSeconds: 3600 },
  })
  return db.usageSession.findUniqueOrThrow({ where: { agentSessionId: sessionId } })
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true })
  const [, launched] = await Promise.all([
    promisify(execFile)(process.execPath, [
      join(root, 'node_modules/vite/bin/vite.js'),
      'build',
      '--config',
      join(root, 'web/vite.config.ts'),
      '--outDir',
      dist,
      '--emptyOutDir',
      '--logLevel',
      'error',
    ]),
    chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'], headless: true }),
  ])
  browser = launched
  server = await startTestServer({ config: { dataDir, webDist: dist } })
  await server.app.listen({ port: 0, host: '127.0.0.1' })
  base = `http://127.0.0.1:${(server.app.server.address() as { port: number }).port}`
  const session = await aliceSession()
  expect(session).toMatchObject({ billedMinutes: 60, chargeCents: 600 }) // membre: 6 €/h excl. VAT
}, 60_000)

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {})
  await browser?.close()
  await server?.close()
  rmSync(dataDir, { recursive: true, force: true })
  rmSync(dist, { recursive: true, force: true })
})

async function logIn(email: string): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    locale: 'fr-FR',
    timezoneId: 'America/New_York',
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

/** French amounts carry narrow no-break spaces ("6,00 €"): compare with plain spaces. */
const plain = (text: string) => text.replace(/[\u00a0\u202f]/g, ' ')
/** The locator's text, spaces made plain, polled until the assertion holds (no sleeps). */
const textOf = (locator: Locator) => expect.poll(async () => plain(await locator.innerText()), { timeout: 15_000 })
const status = (page: Page, text: string) =>
  page
    .getByRole('status')
    .filter({ hasText: new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s')) })
    .waitFor()

describe('money in words and cents', () => {
  it('reads euros typed the French or English way, and shows them the French way', () => {
    expect(parseAmount('12,50')).toBe(1250)
    expect(parseAmount('12.50')).toBe(1250)
    expect(parseAmount(' 1 234,5 € ')).toBe(123450)
    expect(parseAmount('20')).toBe(2000)
    expect(parseAmount('12,505')).toBeNull()
    expect(parseAmount('douze')).toBeNull()
    expect(parseAmount('1.234,50')).toBeNull()
    expect(plain(formatMoney(1250, 'fr-FR'))).toBe('12,50 €')
    expect(plain(formatMoney(123456, 'fr-FR'))).toBe('1 234,56 €')
    expect(inclVat(600, 2000)).toBe(720)
    expect(inclVat(-1650, 2000)).toBe(-1980)
    expect(previousMonth(TZ, new Date('2026-01-01T00:30:00+01:00'))).toBe('2025-12')
    expect(previousMonth(TZ, new Date('2025-12-31T23:30:00Z'))).toBe('2025-12') // already January in Paris
  })
})

describe('billing in the browser', () => {
  let staff: Page

  it('staff preview last month, issue it, open the PDF and check the chain', async () => {
    staff = await logIn('staff@demo.fablab')
    await staff.getByRole('link', { name: 'Facturation' }).click()
    await staff.getByRole('heading', { level: 1, name: 'Facturation' }).waitFor()
    expect(await staff.getByLabel('Mois').inputValue()).toBe(month)

    await staff.getByRole('button', { name: 'Aperçu', exact: true }).click()
    const draft = staff.locator('details.draft').filter({ hasText: 'Alice Martin' })
    await textOf(draft.locator('summary')).toMatch(/^Alice Martin — 6,00 € HT · 7,20 € TTC/)
    expect(await staff.locator('details.draft').count()).toBe(1)
    await draft.locator('summary').click()
    await textOf(draft.locator('tbody')).toContain('Découpeuse laser')

    staff.once('dialog', (dialog) => {
      expect(dialog.message()).toContain('Émettre les factures')
      void dialog.accept()
    })
    await staff.getByRole('button', { name: 'Émettre les factures' }).click()
    await status(staff, `1 facture(s) émise(s) : ${invoiceNumber}.`)
    const row = staff.locator(`table.invoices tr[data-invoice="${invoiceNumber}"]`)
    await textOf(row).toContain('Alice Martin')
    expect(plain(await row.innerText())).toMatch(/6,00 €\s+1,20 €\s+7,20 €/)
    // Issued: nothing left to invoice for that month.
    await textOf(staff.locator('.preview')).toContain('Rien à facturer')

    const pdfLink = staff.getByRole('link', { name: `Ouvrir ${invoiceNumber} en PDF (nouvel onglet)` })
    const href = await pdfLink.getAttribute('href')
    expect(href).toBe(`/api/v1/spaces/demo/invoices/${invoiceNumber}/pdf`)
    const pdf = await staff.context().request.get(`${base}${href}`)
    expect(pdf.status()).toBe(200)
    expect(pdf.headers()['content-type']).toBe('application/pdf')
    expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-')

    await staff.getByRole('button', { name: 'Vérifier la chaîne' }).click()
    await status(staff, 'Chaîne intacte : 1 facture(s) vérifiée(s).')
    const csv = await staff
      .context()
      .request.get(`${base}${await staff.getByRole('link', { name: 'Factures et avoirs (CSV)' }).getAttribute('href')}`)
    expect(await csv.text()).toContain(`${invoiceNumber},invoice`)
    await staff.screenshot({ path: join(shots, 'billing.png'), fullPage: true })
  })

  it('alice sees her invoice, what her session cost and the debit from her credit', async () => {
    const alice = await logIn('alice@demo.fablab')
    await alice.getByRole('link', { name: 'Mon espace' }).click()
    const invoice = alice.locator(`table.invoices tr[data-invoice="${invoiceNumber}"]`)
    await textOf(invoice).toMatch(/6,00 €\s+1,20 €\s+7,20 €/)
    expect(await invoice.getByRole('link', { name: /PDF/ }).getAttribute('href')).toBe(
      `/api/v1/spaces/demo/invoices/${invoiceNumber}/pdf`,
    )
    const session = alice.getByRole('region', { name: 'Mes sessions' }).locator('tbody tr')
    await textOf(session).toMatch(/Découpeuse laser.*1 h 00.*6,00 €\s+7,20 €/s)
    const credit = alice.getByRole('region', { name: 'Mon crédit prépayé' })
    await textOf(credit.locator('.balance')).toBe('Solde : -7,20 €')
    await textOf(credit.locator('li[data-kind="session"]')).toContain('-7,20 €')
  })

  it('staff record a 20,00 € top-up for alice, and her credit shows it', async () => {
    await staff.getByRole('link', { name: 'Facturation' }).click()
    const form = staff.locator('form.topup')
    await form.getByLabel('Membre').selectOption({ label: 'Alice Martin (alice@demo.fablab)' })
    await textOf(form).toContain('Solde actuel : -7,20 €')
    await form.getByLabel('Montant').fill('20,00')
    await form.getByLabel('Moyen de paiement').selectOption('cash')
    await form.getByLabel('Référence').fill('REÇU-12')
    await form.getByRole('button', { name: 'Enregistrer la recharge' }).click()
    await status(staff, 'Recharge de 20,00 € enregistrée pour Alice Martin. Nouveau solde : 12,80 €.')
    const entry = await server.database.db.creditEntry.findFirstOrThrow({ where: { kind: 'topup' } })
    expect(entry).toMatchObject({ amountCents: 2000, means: 'cash', reference: 'REÇU-12' })

    const alice = await logIn('alice@demo.fablab')
    await alice.getByRole('link', { name: 'Mon espace' }).click()
    const credit = alice.getByRole('region', { name: 'Mon crédit prépayé' })
    await textOf(credit.locator('.balance')).toBe('Solde : 12,80 €')
    await textOf(credit.locator('li[data-kind="topup"]')).toMatch(/Recharge.*espèces · REÇU-12.*\+20,00 €/s)
    await alice.screenshot({ path: join(shots, 'my-billing.png'), fullPage: true })
  })

  it('staff see and change a machine’s rates in euros', async () => {
    await staff.getByRole('link', { name: 'Machines' }).click()
    const laser = staff.locator('.machine-editor[data-machine="laser-1"]')
    await expect.poll(() => laser.getByLabel('Prix par heure — Membre').inputValue()).toBe('6,00')
    const printer = staff.locator('.machine-editor[data-machine="printer-1"]')
    await printer.getByLabel('Prix par heure — Professionnel').fill('7.5')
    await printer.getByLabel('Facturation — Professionnel').selectOption('15')
    await printer.getByLabel('Minimum — Professionnel').fill('1,20')
    await printer.getByRole('button', { name: 'Enregistrer le tarif Professionnel' }).click()
    await status(staff, 'Tarif Professionnel enregistré.')
    const rate = await server.database.db.rate.findFirstOrThrow({
      where: { machine: { slug: 'printer-1' }, priceGroup: { slug: 'professionnel' } },
    })
    expect(rate).toMatchObject({ centsPerHour: 750, stepMinutes: 15, minimumCents: 120 })
    await expect.poll(() => printer.getByLabel('Prix par heure — Professionnel').inputValue()).toBe('7,50')
    await printer.screenshot({ path: join(shots, 'rates.png') })

    // A typo is refused in words, and nothing is sent.
    await printer.getByLabel('Prix par heure — Membre').fill('trois')
    await printer.getByRole('button', { name: 'Enregistrer le tarif Membre' }).click()
    await textOf(printer.getByRole('alert')).toBe('Membre : montant invalide, saisissez par exemple 12,50.')
  })

  it('staff cancel the invoice by a credit note, after which its session can be invoiced again', async () => {
    await staff.getByRole('link', { name: 'Facturation' }).click()
    staff.once('dialog', (dialog) => void dialog.accept())
    await staff.getByRole('button', { name: `Émettre un avoir annulant ${invoiceNumber}` }).click()
    const noteNumber = invoiceNumber.replace(/1$/, '2')
    await status(staff, `Avoir ${noteNumber} émis : il annule ${invoiceNumber}.`)
    const note = staff.locator(`table.invoices tr[data-invoice="${noteNumber}"]`)
    await textOf(note).toMatch(/Avoir · annule .*-6,00 €\s+-1,20 €\s+-7,20 €/s)
    const cancelled = staff.locator(`table.invoices tr[data-invoice="${invoiceNumber}"]`)
    await textOf(cancelled).toContain(`annulée par ${noteNumber}`)
    expect(await cancelled.getByRole('button').count()).toBe(0)
    await staff.getByRole('button', { name: 'Aperçu', exact: true }).click()
    await textOf(staff.locator('details.draft summary')).toMatch(/^Alice Martin — 6,00 € HT/)
  })
})
