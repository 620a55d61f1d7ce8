// Role and space isolation: maker vs staff vs another space's staff.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashPassword } from '../../server/lib/secrets.js'
import { startTestServer, type TestClient, type TestServer } from '../helpers/server.js'

let server: TestServer
let alice: TestClient
let staff: TestClient
let olga: TestClient
let demoBookingId: string

beforeAll(async () => {
  server = await startTestServer()
  await server.database.db.person.create({
    data: { email: 'olga@other.example', name: 'Olga', passwordHash: await hashPassword('olga-password') },
  })
  ;[alice, staff, olga] = await Promise.all([
    server.as('alice@demo.fablab'),
    server.as('staff@demo.fablab'),
    server.as('olga@other.example', 'olga-password'),
  ])
  expect((await olga.post('/api/v1/spaces', { slug: 'other', name: 'Autre Lab' })).statusCode).toBe(201)
  const tomorrow = new Date(Date.now() + 86_400_000)
  tomorrow.setUTCHours(9, 0, 0, 0)
  const booking = await alice.post('/api/v1/spaces/demo/bookings', {
    machine: 'printer-1',
    start: tomorrow.toISOString(),
    end: new Date(tomorrow.getTime() + 3_600_000).toISOString(),
  })
  demoBookingId = booking.json().id
})
afterAll(async () => server.close())

describe('space isolation', () => {
  it("another space's admin gets 404 for everything of demo, reads and writes alike", async () => {
    const attempts = [
      olga.get('/api/v1/spaces/demo'),
      olga.get('/api/v1/spaces/demo/members'),
      olga.get('/api/v1/spaces/demo/members/alice@demo.fablab'),
      olga.get('/api/v1/spaces/demo/bookings'),
      olga.patch('/api/v1/spaces/demo', { name: 'Pwned' }),
      olga.patch('/api/v1/spaces/demo/members/alice@demo.fablab', { suspended: true }),
      olga.post('/api/v1/spaces/demo/bookings', {
        machine: 'printer-1',
        start: '2030-01-01T10:00:00Z',
        end: '2030-01-01T11:00:00Z',
      }),
      olga.delete(`/api/v1/spaces/demo/bookings/${demoBookingId}`),
      olga.post('/api/v1/spaces/demo/price-groups', { slug: 'x', name: 'X' }),
    ]
    for (const res of await Promise.all(attempts)) {
      expect(res.statusCode, res.body).toBe(404)
    }
    const demo = await server.database.db.space.findUniqueOrThrow({ where: { slug: 'demo' } })
    expect(demo.name).toBe('FabLab Démo')
    expect((await server.database.db.booking.findUniqueOrThrow({ where: { id: demoBookingId } })).status).toBe(
      'confirmed',
    )
  })

  it("a resource id of space A is not reachable through space B's URL", async () => {
    const res = await olga.delete(`/api/v1/spaces/other/bookings/${demoBookingId}`)
    expect(res.statusCode).toBe(404)
    const members = await olga.get('/api/v1/spaces/other/members')
    expect(members.json().map((m: { email: string }) => m.email)).toEqual(['olga@other.example'])
    // A demo member cannot be named in the other space.
    expect((await olga.patch('/api/v1/spaces/other/members/alice@demo.fablab', { role: 'staff' })).statusCode).toBe(404)
  })

  it("demo's staff get 404 on the other space", async () => {
    expect((await staff.get('/api/v1/spaces/other/members')).statusCode).toBe(404)
    expect((await staff.get('/api/v1/spaces')).json().map((s: { slug: string }) => s.slug)).toEqual(['demo'])
  })
})

describe('roles within a space', () => {
  it('a maker sees only themselves among members', async () => {
    expect((await alice.get('/api/v1/spaces/demo/members')).statusCode).toBe(403)
    expect((await alice.get('/api/v1/spaces/demo/members/bob@demo.fablab')).statusCode).toBe(404)
    const self = await alice.get('/api/v1/spaces/demo/members/alice@demo.fablab')
    expect(self.statusCode).toBe(200)
    expect(self.json().trainings.map((t: { training: string }) => t.training)).toEqual(['laser'])
  })

  it('a maker cannot manage members, price groups or space settings', async () => {
    expect((await alice.patch('/api/v1/spaces/demo/members/alice@demo.fablab', { role: 'staff' })).statusCode).toBe(403)
    expect((await alice.post('/api/v1/spaces/demo/members', { email: 'eve@x.org', name: 'Eve' })).statusCode).toBe(403)
    expect((await alice.post('/api/v1/spaces/demo/price-groups', { slug: 'free', name: 'Free' })).statusCode).toBe(403)
    expect((await alice.patch('/api/v1/spaces/demo', { requireCredit: false })).statusCode).toBe(403)
    const me = await server.database.db.membership.findFirstOrThrow({
      where: { person: { email: 'alice@demo.fablab' } },
    })
    expect(me.role).toBe('maker')
  })

  it('staff manage members but only an admin makes staff', async () => {
    const added = await staff.post('/api/v1/spaces/demo/members', {
      email: 'Carla@Demo.Fablab',
      name: 'Carla',
      priceGroup: 'etudiant',
    })
    expect(added.statusCode).toBe(201)
    expect(added.json()).toMatchObject({ email: 'carla@demo.fablab', role: 'maker', priceGroup: 'etudiant' })
    expect(
      (await staff.post('/api/v1/spaces/demo/members', { email: 'carla@demo.fablab', name: 'Carla' })).json().code,
    ).toBe('ALREADY_EXISTS')
    expect((await staff.patch('/api/v1/spaces/demo/members/carla@demo.fablab', { role: 'trainer' })).json().role).toBe(
      'trainer',
    )
    expect((await staff.patch('/api/v1/spaces/demo/members/carla@demo.fablab', { role: 'staff' })).statusCode).toBe(403)
    // The admin of a space can, and keeps at least one admin.
    await olga.post('/api/v1/spaces/other/members', { email: 'pat@other.example', name: 'Pat' })
    expect((await olga.patch('/api/v1/spaces/other/members/pat@other.example', { role: 'staff' })).json().role).toBe(
      'staff',
    )
    expect((await olga.patch('/api/v1/spaces/other/members/olga@other.example', { role: 'maker' })).json().code).toBe(
      'LAST_ADMIN',
    )
  })

  it('staff actions are written to the audit log', async () => {
    const entries = await server.database.db.auditLog.findMany({ where: { space: { slug: 'demo' } } })
    expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining(['member.add', 'member.update']))
  })
})
