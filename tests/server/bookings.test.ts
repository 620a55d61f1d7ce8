import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { directReads, pgWrites } from '../../server/db/client.js'
import type { Booking } from '../../server/db/generated/sqlite/client.js'
import { hashSecret } from '../../server/lib/secrets.js'
import { localDayStart } from '../../server/lib/time.js'
import { saveBooking } from '../../server/services/bookings.js'
import { createTestDatabase } from '../helpers/database.js'
import { startTestServer, type TestClient, type TestServer } from '../helpers/server.js'

let server: TestServer
let alice: TestClient
let bob: TestClient
let staff: TestClient
const url = '/api/v1/spaces/demo/bookings'

/** A local wall-clock time `days` from today in Paris, as a UTC ISO string. */
function paris(days: number, hour: number, minute = 0) {
  const day = localDayStart(new Date(), 'Europe/Paris', days)
  return new Date(day.getTime() + (hour * 60 + minute) * 60_000).toISOString()
}

beforeAll(async () => {
  server = await startTestServer()
  ;[alice, bob, staff] = await Promise.all([
    server.as('alice@demo.fablab'),
    server.as('bob@demo.fablab'),
    server.as('staff@demo.fablab'),
  ])
})
afterAll(async () => server.close())

describe('bookings', () => {
  it('alice books laser-1 tomorrow 10:00–11:00 and finds it in the planning', async () => {
    const res = await alice.post(url, { machine: 'laser-1', start: paris(1, 10), end: paris(1, 11) })
    expect(res.statusCode).toBe(201)
    expect(res.json()).toMatchObject({ machine: 'laser-1', status: 'confirmed', mine: true, start: paris(1, 10) })
    const planning = await alice.get(`${url}?machine=laser-1&from=${paris(1, 0)}&to=${paris(2, 0)}`)
    expect(planning.json().map((b: { id: string }) => b.id)).toContain(res.json().id)
  })

  it('refuses an overlapping slot with BOOKING_CONFLICT and accepts the adjacent one', async () => {
    const clash = await staff.post(url, { machine: 'laser-1', start: paris(1, 10, 30), end: paris(1, 11, 30) })
    expect(clash.statusCode).toBe(409)
    expect(clash.json().code).toBe('BOOKING_CONFLICT')
    const adjacent = await staff.post(url, { machine: 'laser-1', start: paris(1, 11), end: paris(1, 12) })
    expect(adjacent.statusCode).toBe(201)
  })

  it('bob, untrained, cannot book laser-1 and is told which training he lacks', async () => {
    const res = await bob.post(url, { machine: 'laser-1', start: paris(2, 10), end: paris(2, 11) })
    expect(res.statusCode).toBe(403)
    expect(res.json()).toMatchObject({ code: 'TRAINING_REQUIRED', details: { missing: ['laser'] } })
    expect(res.json().message).toContain('laser')
  })

  it('needs the training valid until the slot ends, not just today', async () => {
    const db = server.database.db
    const carol = await db.person.create({ data: { email: 'carol@demo.fablab', name: 'Carol Roux' } })
    const demo = await db.space.findUniqueOrThrow({ where: { slug: 'demo' } })
    const member = await db.membership.create({ data: { spaceId: demo.id, personId: carol.id } })
    const laser = await db.training.findFirstOrThrow({ where: { spaceId: demo.id, slug: 'laser' } })
    const grant = await db.trainingGrant.create({
      data: { spaceId: demo.id, membershipId: member.id, trainingId: laser.id, expiresAt: new Date(paris(3, 10, 30)) },
    })
    const token = 'carol-test-token'
    await db.apiToken.create({ data: { personId: carol.id, name: 'test', tokenHash: hashSecret(token) } })
    const book = (start: string, end: string) =>
      server.app.inject({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${token}` },
        payload: { machine: 'laser-1', start, end },
      })
    const lapsing = await book(paris(3, 10), paris(3, 11))
    expect(lapsing.statusCode).toBe(403)
    expect(lapsing.json()).toMatchObject({ code: 'TRAINING_REQUIRED', details: { missing: ['laser'] } })
    expect((await book(paris(3, 9), paris(3, 10))).statusCode).toBe(201)
    await db.trainingGrant.update({ where: { id: grant.id }, data: { expiresAt: null } })
    expect((await book(paris(3, 10), paris(3, 11))).statusCode).toBe(201)
  })

  it('staff may book laser-1 for bob; bob may not book for alice', async () => {
    const forBob = await staff.post(url, {
      machine: 'laser-1',
      start: paris(2, 14),
      end: paris(2, 15),
      member: 'bob@demo.fablab',
    })
    expect(forBob.statusCode).toBe(201)
    expect(forBob.json().member.email).toBe('bob@demo.fablab')
    const forAlice = await bob.post(url, {
      machine: 'printer-1',
      start: paris(2, 14),
      end: paris(2, 15),
      member: 'alice@demo.fablab',
    })
    expect(forAlice.statusCode).toBe(403)
  })

  it('makers see that a slot is taken but not by whom; staff see who', async () => {
    const asBob = (await bob.get(`${url}?machine=laser-1&from=${paris(1, 0)}&to=${paris(2, 0)}`)).json()
    const alices = asBob.find((b: { start: string }) => b.start === paris(1, 10))
    expect(alices).toMatchObject({ mine: false, member: null })
    const asStaff = (await staff.get(`${url}?machine=laser-1&from=${paris(1, 0)}&to=${paris(2, 0)}`)).json()
    expect(asStaff.find((b: { start: string }) => b.start === paris(1, 10)).member.email).toBe('alice@demo.fablab')
  })

  it('a maker moves and cancels only their own bookings', async () => {
    const mine = (await bob.post(url, { machine: 'printer-1', start: paris(3, 9), end: paris(3, 10) })).json()
    const moved = await bob.patch(`${url}/${mine.id}`, { start: paris(3, 13), end: paris(3, 14) })
    expect(moved.statusCode).toBe(200)
    expect(moved.json().start).toBe(paris(3, 13))
    expect((await alice.patch(`${url}/${mine.id}`, { start: paris(3, 15) })).statusCode).toBe(403)
    expect((await alice.delete(`${url}/${mine.id}`)).statusCode).toBe(403)
    const cancelled = await bob.delete(`${url}/${mine.id}`)
    expect(cancelled.json().status).toBe('cancelled')
    // The freed slot can be booked again.
    expect((await alice.post(url, { machine: 'printer-1', start: paris(3, 13), end: paris(3, 14) })).statusCode).toBe(
      201,
    )
    expect((await bob.delete(`${url}/${mine.id}`)).json().code).toBe('BOOKING_NOT_ACTIVE')
  })

  it('moving a booking onto another one is a conflict, onto itself is fine', async () => {
    const a = (await alice.post(url, { machine: 'printer-1', start: paris(4, 9), end: paris(4, 10) })).json()
    const b = (await alice.post(url, { machine: 'printer-1', start: paris(4, 10), end: paris(4, 11) })).json()
    expect((await alice.patch(`${url}/${b.id}`, { start: paris(4, 9, 30) })).json().code).toBe('BOOKING_CONFLICT')
    expect((await alice.patch(`${url}/${a.id}`, { end: paris(4, 9, 45) })).statusCode).toBe(200)
  })

  it('enforces the machine and space rules with clear codes', async () => {
    const cases: [object, string][] = [
      [{ machine: 'printer-1', start: paris(5, 11), end: paris(5, 10) }, 'BOOKING_INVALID_RANGE'],
      [{ machine: 'printer-1', start: paris(-1, 10), end: paris(-1, 11) }, 'BOOKING_IN_PAST'],
      [{ machine: 'printer-1', start: paris(5, 8), end: paris(5, 13, 1) }, 'BOOKING_TOO_LONG'],
      [{ machine: 'printer-1', start: paris(31, 10), end: paris(31, 11) }, 'BOOKING_TOO_FAR_AHEAD'],
    ]
    for (const [body, code] of cases) {
      const res = await alice.post(url, body)
      expect(res.json().code, JSON.stringify(body)).toBe(code)
    }
    // The window counts local days: the 30th local day is bookable to its last minute.
    expect(
      (await alice.post(url, { machine: 'printer-1', start: paris(30, 23), end: paris(30, 23, 30) })).statusCode,
    ).toBe(201)
  })

  it('minimum notice and out-of-service machines are refused', async () => {
    await server.database.db.machine.updateMany({ where: { slug: 'cnc-1' }, data: { minNoticeMinutes: 24 * 60 } })
    const soon = await staff.post(url, { machine: 'cnc-1', start: paris(0, 23, 59), end: paris(1, 0, 30) })
    expect(soon.json().code).toBe('BOOKING_TOO_SOON')
    await server.database.db.machine.updateMany({
      where: { slug: 'cnc-1' },
      data: { status: 'out_of_service', minNoticeMinutes: 0 },
    })
    const broken = await staff.post(url, { machine: 'cnc-1', start: paris(6, 10), end: paris(6, 11) })
    expect(broken.statusCode).toBe(409)
    expect(broken.json().code).toBe('MACHINE_OUT_OF_SERVICE')
  })

  it('a suspended member cannot book', async () => {
    await staff.patch('/api/v1/spaces/demo/members/bob@demo.fablab', { suspended: true })
    const res = await bob.post(url, { machine: 'printer-1', start: paris(7, 10), end: paris(7, 11) })
    expect(res.json().code).toBe('MEMBER_SUSPENDED')
    await staff.patch('/api/v1/spaces/demo/members/bob@demo.fablab', { suspended: false })
  })

  it('opening hours are local hours, also on the day clocks go forward', async () => {
    expect(
      (
        await staff.patch('/api/v1/spaces/demo', {
          bookingWindowDays: 366,
          settings: { openingHours: { '7': [['09:00', '19:00']] } },
        })
      ).statusCode,
    ).toBe(200)
    // Sunday 2027-03-21 is still winter time (UTC+1): 07:00Z is 08:00 in Paris, before opening.
    const winterEarly = await staff.post(url, {
      machine: 'printer-1',
      start: '2027-03-21T07:00:00Z',
      end: '2027-03-21T08:00:00Z',
    })
    expect(winterEarly.json().code).toBe('OUTSIDE_OPENING_HOURS')
    expect(
      (await staff.post(url, { machine: 'printer-1', start: '2027-03-21T08:00:00Z', end: '2027-03-21T09:00:00Z' }))
        .statusCode,
    ).toBe(201)
    // Sunday 2027-03-28 the clocks go 02:00 → 03:00 (UTC+2): 07:00Z is 09:00 in Paris, open.
    expect(
      (await staff.post(url, { machine: 'printer-1', start: '2027-03-28T07:00:00Z', end: '2027-03-28T08:00:00Z' }))
        .statusCode,
    ).toBe(201)
    const lateDst = await staff.post(url, {
      machine: 'printer-1',
      start: '2027-03-28T16:30:00Z',
      end: '2027-03-28T17:30:00Z',
    })
    expect(lateDst.json().code).toBe('OUTSIDE_OPENING_HOURS')
    await staff.patch('/api/v1/spaces/demo', { bookingWindowDays: 30, settings: {} })
  })
})

describe('bookings under concurrency', () => {
  it('lists bookings by machine, member and time range, in order, cancelled ones on request', async () => {
    const day = 20
    const make = (machine: string, h: number, member?: string) =>
      staff.post(url, { machine, start: paris(day, h), end: paris(day, h + 1), ...(member ? { member } : {}) })
    const a = (await make('printer-1', 9, 'alice@demo.fablab')).json()
    const b = (await make('printer-1', 11, 'bob@demo.fablab')).json()
    const c = (await make('laser-1', 10, 'alice@demo.fablab')).json()
    const d = (await make('printer-1', 14, 'alice@demo.fablab')).json()
    expect((await staff.delete(`${url}/${d.id}`)).statusCode).toBe(200)
    const range = `from=${paris(day, 0)}&to=${paris(day + 1, 0)}`
    const ids = async (query: string) =>
      (await staff.get(`${url}?${query}`)).json().map((x: { id: string }) => x.id) as string[]
    expect(await ids(range)).toEqual([a.id, c.id, b.id]) // by start time
    expect(await ids(`${range}&machine=printer-1`)).toEqual([a.id, b.id])
    expect(await ids(`${range}&member=bob@demo.fablab`)).toEqual([b.id])
    expect(await ids(`${range}&includeCancelled=true&member=alice@demo.fablab`)).toEqual([a.id, c.id, d.id])
    expect(await ids(`from=${paris(day, 10, 30)}&to=${paris(day, 11)}`)).toEqual([c.id]) // overlapping the range
    const seenByStaff = (await staff.get(`${url}?${range}&machine=printer-1`)).json()
    expect(seenByStaff[1]).toMatchObject({
      id: b.id,
      machine: 'printer-1',
      start: paris(day, 11),
      end: paris(day, 12),
      status: 'confirmed',
      mine: false,
      member: { name: 'Bob Durand', email: 'bob@demo.fablab' },
    })
    const seenByAlice = (await alice.get(`${url}?${range}&machine=printer-1`)).json()
    expect(seenByAlice.map((x: { mine: boolean; member: unknown }) => [x.mine, x.member === null])).toEqual([
      [true, false],
      [false, true],
    ])
  })

  it('50 concurrent overlapping requests on one machine: exactly one wins', async () => {
    await server.database.db.machine.updateMany({ where: { slug: 'cnc-1' }, data: { status: 'available' } })
    const requests = Array.from({ length: 50 }, (_, i) =>
      staff.post(url, { machine: 'cnc-1', start: paris(8, 10, i), end: paris(8, 11, i) }),
    )
    const results = await Promise.all(requests)
    const codes = results.map((r) => r.statusCode)
    expect(codes.filter((c) => c === 201)).toHaveLength(1)
    expect(codes.filter((c) => c === 409)).toHaveLength(49)
    expect(results.filter((r) => r.statusCode === 409).every((r) => r.json().code === 'BOOKING_CONFLICT')).toBe(true)
    const stored = await server.database.db.booking.count({
      where: { machine: { slug: 'cnc-1' }, status: 'confirmed' },
    })
    expect(stored).toBe(1)
  })
})

describe('a booking’s reads', () => {
  it('skip Prisma’s query engine: the caller, their membership and the machine are hot reads', async () => {
    const book = (hour: number) =>
      staff.post(url, { machine: 'laser-1', start: paris(9, hour), end: paris(9, hour + 1) })
    expect((await book(8)).statusCode).toBe(201) // a write: the next request reads the caller again
    const before = directReads(server.database.db)
    expect((await book(9)).statusCode).toBe(201)
    expect(directReads(server.database.db) - before).toBe(3)
  })
})

describe('a booking’s write', () => {
  it('is one statement on PostgreSQL (the procedure save_booking, one round trip), a transaction on SQLite', async () => {
    // A database of its own, no server: nothing else writes meanwhile (rights publications…).
    const database = await createTestDatabase()
    try {
      const db = database.db
      const space = await db.space.findUniqueOrThrow({ where: { slug: 'demo' } })
      const machine = await db.machine.findFirstOrThrow({ where: { spaceId: space.id, slug: 'printer-1' } })
      const member = await db.membership.findFirstOrThrow({
        where: { spaceId: space.id, person: { email: 'staff@demo.fablab' } },
      })
      const draft = (start: string, end: string, moving?: Booking) => {
        return {
          space,
          machine,
          member,
          start: new Date(start),
          end: new Date(end),
          byStaff: true,
          now: new Date(),
          moving,
        }
      }
      const before = pgWrites(db)
      const booked = await saveBooking(db, draft(paris(9, 10), paris(9, 11)), { note: 'first' })
      const moved = await saveBooking(db, draft(paris(9, 12), paris(9, 13), booked), {})
      await expect(saveBooking(db, draft(paris(9, 12, 30), paris(9, 14)), {})).rejects.toMatchObject({
        code: 'BOOKING_CONFLICT',
      })
      const stored = await db.booking.findUniqueOrThrow({ where: { id: booked.id } })
      expect(stored).toEqual(moved)
      expect(stored).toMatchObject({ start: new Date(paris(9, 12)), end: new Date(paris(9, 13)), note: 'first' })
      if (database.provider === 'sqlite') {
        expect(before).toBeNull() // SQLite writes in the process: no round trip to save
        return
      }
      // One statement each (the refused one too), instead of BEGIN, two statements and COMMIT.
      expect(pgWrites(db)! - before!).toBe(3)
    } finally {
      await database.drop()
    }
  })
})

describe('the planning cache', () => {
  const day = 25
  const range = () => `${url}?from=${paris(day, 0)}&to=${paris(day + 1, 0)}`
  const plan = async (who: TestClient = staff) => (await who.get(range())).json() as { id: string; status: string }[]
  /** The planning as staff asks for it, with these request headers. */
  const planWith = (headers: Record<string, string>) =>
    server.app.inject({ method: 'GET', url: range(), headers: { cookie: staff.cookie, ...headers } })

  it('answers again unchanged with 304 to the ETag it gave, and 200 once the planning changed', async () => {
    const conditional = (etag?: string) => planWith(etag ? { 'if-none-match': etag } : {})
    const first = await conditional()
    expect(first.statusCode).toBe(200)
    expect(first.headers['cache-control']).toBe('private, no-cache')
    expect(first.headers['content-encoding']).toBeUndefined() // the client did not ask for gzip
    const etag = first.headers.etag as string
    expect((await conditional()).headers['x-cache']).toBe('hit')
    const again = await conditional(etag)
    expect(again.statusCode).toBe(304)
    expect(again.body).toBe('')
    await staff.post(url, { machine: 'printer-1', start: paris(day, 9), end: paris(day, 10) })
    const changed = await conditional(etag)
    expect(changed.statusCode).toBe(200)
    expect(changed.headers.etag).not.toBe(etag)
    expect(changed.json()).toHaveLength(1)
  })

  it('shows changes written behind the API (another instance, a check-in, invoicing) at once', async () => {
    const db = server.database.db
    const [booking] = await plan()
    expect(booking).toBeDefined()
    await db.booking.update({ where: { id: booking!.id }, data: { status: 'checked_in' } })
    expect((await plan())[0]!.status).toBe('checked_in')

    const holder = await db.membership.findFirstOrThrow({ where: { bookings: { some: { id: booking!.id } } } })
    await db.person.update({ where: { id: holder.personId }, data: { name: 'Renamed Staff' } })
    expect(((await plan())[0] as unknown as { member: { name: string } }).member.name).toBe('Renamed Staff')

    await db.machine.updateMany({ where: { slug: 'printer-1' }, data: { slug: 'printer-one' } })
    expect(((await plan())[0] as unknown as { machine: string }).machine).toBe('printer-one')
    await db.machine.updateMany({ where: { slug: 'printer-one' }, data: { slug: 'printer-1' } })

    const space = await db.space.findUniqueOrThrow({ where: { slug: 'demo' } })
    await db.booking.create({
      data: {
        spaceId: space.id,
        machineId: (await db.machine.findFirstOrThrow({ where: { slug: 'laser-1' } })).id,
        membershipId: holder.id,
        start: new Date(paris(day, 15)),
        end: new Date(paris(day, 16)),
      },
    })
    expect(await plan()).toHaveLength(2)
    await db.booking.deleteMany({ where: { start: new Date(paris(day, 15)) } })
    expect(await plan()).toHaveLength(1)
  })

  it('sends the planning in brotli to browsers, gzipped to clients that accept only gzip', async () => {
    const get = (acceptEncoding?: string) => planWith(acceptEncoding ? { 'accept-encoding': acceptEncoding } : {})
    const plain = await get()
    expect(plain.headers['content-encoding']).toBeUndefined()
    const browser = await get('gzip, deflate, br, zstd')
    expect(browser.headers['content-encoding']).toBe('br')
    expect(browser.headers.vary).toContain('accept-encoding')
    expect(brotliDecompressSync(browser.rawPayload).toString()).toBe(plain.body)
    const gzipOnly = await get('gzip')
    expect(gzipOnly.headers['content-encoding']).toBe('gzip')
    expect(gunzipSync(gzipOnly.rawPayload).toString()).toBe(plain.body)
    const brRefused = await get('br;q=0, gzip;q=0.5')
    expect(brRefused.headers['content-encoding']).toBe('gzip')
    const noneAccepted = await get('br;q=0, gzip;q=0')
    expect(noneAccepted.headers['content-encoding']).toBeUndefined()
    expect(noneAccepted.body).toBe(plain.body)
  })

  it('keeps a maker’s answer apart from staff’s for the same query', async () => {
    expect(((await plan(alice))[0] as unknown as { member: unknown }).member).toBeNull()
    expect(((await plan(staff))[0] as unknown as { member: unknown }).member).not.toBeNull()
  })
})
