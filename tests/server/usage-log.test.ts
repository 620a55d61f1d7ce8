// The usage log: filters, CSV export, and makers seeing only their own rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestClient, type TestServer } from '../helpers/server.js'

let server: TestServer
let staff: TestClient
let alice: TestClient
const api = '/api/v1/spaces/demo'

beforeAll(async () => {
  server = await startTestServer()
  ;[staff, alice] = await Promise.all([server.as('staff@demo.fablab'), server.as('alice@demo.fablab')])
  const db = server.database.db
  const demo = await db.space.findUniqueOrThrow({ where: { slug: 'demo' } })
  const [laser, printer] = await Promise.all(
    ['laser-1', 'printer-1'].map((slug) => db.machine.findFirstOrThrow({ where: { slug } })),
  )
  const [aliceM, bobM] = await Promise.all(
    ['alice', 'bob'].map((n) => db.membership.findFirstOrThrow({ where: { person: { email: `${n}@demo.fablab` } } })),
  )
  const t = (iso: string) => new Date(iso)
  await db.usageSession.createMany({
    data: [
      {
        spaceId: demo.id,
        machineId: laser!.id,
        membershipId: aliceM!.id,
        startedAt: t('2026-11-02T09:00:00Z'),
        endedAt: t('2026-11-02T10:30:00Z'),
        endCause: 'same_badge',
        busySeconds: 4500,
      },
      {
        spaceId: demo.id,
        machineId: printer!.id,
        membershipId: bobM!.id,
        startedAt: t('2026-11-03T14:00:00Z'),
        endedAt: t('2026-11-03T15:00:00Z'),
        endCause: 'idle',
      },
      {
        spaceId: demo.id,
        machineId: printer!.id,
        membershipId: aliceM!.id,
        startedAt: t('2026-11-10T08:00:00Z'),
        endedAt: null,
      },
    ],
  })
  await db.accessEvent.createMany({
    data: [
      {
        spaceId: demo.id,
        machineId: laser!.id,
        membershipId: bobM!.id,
        badgeUid: '0B0056CD78',
        decision: 'denied',
        reason: 'training_missing',
        at: t('2026-11-02T08:59:00Z'),
        eventId: 'ev-1',
      },
      {
        spaceId: demo.id,
        machineId: laser!.id,
        membershipId: aliceM!.id,
        badgeUid: '0A0012AB34',
        decision: 'granted',
        reason: 'walk_in',
        at: t('2026-11-02T09:00:00Z'),
        eventId: 'ev-2',
      },
    ],
  })
})
afterAll(async () => server.close())

describe('usage log', () => {
  it('filters sessions by machine, member and dates', async () => {
    expect((await staff.get(`${api}/sessions`)).json()).toHaveLength(3)
    const printer = (await staff.get(`${api}/sessions?machine=printer-1`)).json()
    expect(printer.map((s: { member: { email: string } }) => s.member.email)).toEqual([
      'alice@demo.fablab',
      'bob@demo.fablab',
    ])
    const early = (await staff.get(`${api}/sessions?from=2026-11-01T00:00:00Z&to=2026-11-03T00:00:00Z`)).json()
    expect(early).toHaveLength(1)
    expect(early[0]).toMatchObject({
      machine: 'laser-1',
      durationSeconds: 5400,
      busySeconds: 4500,
      endCause: 'same_badge',
    })
    expect((await staff.get(`${api}/sessions?member=bob@demo.fablab`)).json()).toHaveLength(1)
  })

  it('filters access events by decision', async () => {
    const denied = (await staff.get(`${api}/access-events?decision=denied`)).json()
    expect(denied).toEqual([
      expect.objectContaining({
        reason: 'training_missing',
        badgeUid: '0B0056CD78',
        member: expect.objectContaining({ name: 'Bob Durand' }),
      }),
    ])
  })

  it('exports sessions as CSV a spreadsheet opens', async () => {
    const res = await staff.get(`${api}/sessions?format=csv&machine=laser-1`)
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toContain('text/csv')
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="sessions-demo-\d{4}-\d{2}-\d{2}\.csv"/)
    const lines = res.body
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n')
    expect(lines[0]).toBe(
      'started_at,ended_at,duration_minutes,machine,member_name,member_email,badge_uid,end_cause,busy_minutes,booking_id,billed_minutes,charge_excl_vat',
    )
    expect(lines[1]).toBe(
      '2026-11-02T09:00:00.000Z,2026-11-02T10:30:00.000Z,90,laser-1,Alice Martin,alice@demo.fablab,,same_badge,75,,,',
    )
    const events = await staff.get(`${api}/access-events?format=csv`)
    expect(events.body).toContain('denied,training_missing,laser-1,Bob Durand,bob@demo.fablab,0B0056CD78')
  })

  it('shows a maker only their own rows, and refuses someone else', async () => {
    const mine = (await alice.get(`${api}/sessions`)).json()
    expect(mine).toHaveLength(2)
    expect(mine.every((s: { member: { email: string } }) => s.member.email === 'alice@demo.fablab')).toBe(true)
    expect((await alice.get(`${api}/access-events`)).json().map((e: { reason: string }) => e.reason)).toEqual([
      'walk_in',
    ])
    expect((await alice.get(`${api}/sessions?member=bob@demo.fablab`)).statusCode).toBe(403)
    expect((await alice.get(`${api}/sessions?format=csv`)).body).not.toContain('bob@demo.fablab')
  })
})
