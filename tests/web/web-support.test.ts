// The read-only endpoints the web app adds (server/routes/web-support.ts): the CSRF token
// of a browser session for a new tab, and machine use per local day for the chart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.js'

let server: TestServer

beforeAll(async () => {
  server = await startTestServer()
  const db = server.database.db
  const laser = await db.machine.findFirstOrThrow({ where: { slug: 'laser-1' } })
  const printer = await db.machine.findFirstOrThrow({ where: { slug: 'printer-1' } })
  const alice = await db.membership.findFirstOrThrow({ where: { person: { email: 'alice@demo.fablab' } } })
  const bob = await db.membership.findFirstOrThrow({ where: { person: { email: 'bob@demo.fablab' } } })
  const session = (machineId: string, membershipId: string, start: string, end: string) =>
    db.usageSession.create({
      data: {
        spaceId: laser.spaceId,
        machineId,
        membershipId,
        startedAt: new Date(start),
        endedAt: new Date(end),
        endCause: 'same_badge',
      },
    })
  // Alice: 23:00 on 24 October to 01:00 on 25 October, Paris time (CEST, UTC+2).
  await session(laser.id, alice.id, '2026-10-24T21:00:00Z', '2026-10-24T23:00:00Z')
  // Alice: the whole night of the autumn change, 00:00 to 04:00 local = 5 real hours.
  await session(laser.id, alice.id, '2026-10-24T22:00:00Z', '2026-10-25T03:00:00Z')
  // Bob on the printer, 30 minutes on 25 October.
  await session(printer.id, bob.id, '2026-10-25T09:00:00Z', '2026-10-25T09:30:00Z')
})

afterAll(async () => {
  await server?.close()
})

const range = 'from=2026-10-23T22:00:00.000Z&to=2026-10-26T23:00:00.000Z'

describe('GET /api/v1/web/session', () => {
  it('gives the CSRF token of the session cookie, and null without one', async () => {
    const alice = await server.as('alice@demo.fablab')
    const res = await alice.get('/api/v1/web/session')
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ csrfToken: alice.csrfToken })
    expect(res.headers['cache-control']).toBe('no-store')
    expect((await server.anonymous.get('/api/v1/web/session')).json()).toEqual({ csrfToken: null })
  })
})

describe('GET /api/v1/spaces/{space}/usage/daily', () => {
  it('adds up use per local day of the space, a DST day counting its 25 hours', async () => {
    const staff = await server.as('staff@demo.fablab')
    const res = await staff.get(`/api/v1/spaces/demo/usage/daily?${range}`)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({
      timeZone: 'Europe/Paris',
      days: [
        { date: '2026-10-24', machine: 'laser-1', sessions: 1, seconds: 3600 },
        { date: '2026-10-25', machine: 'laser-1', sessions: 1, seconds: 3600 + 5 * 3600 },
        { date: '2026-10-25', machine: 'printer-1', sessions: 1, seconds: 1800 },
      ],
    })
    const laserOnly = await staff.get(`/api/v1/spaces/demo/usage/daily?${range}&machine=printer-1`)
    expect(laserOnly.json().days).toEqual([{ date: '2026-10-25', machine: 'printer-1', sessions: 1, seconds: 1800 }])
  })

  it('shows makers their own use only', async () => {
    const bob = await server.as('bob@demo.fablab')
    expect((await bob.get(`/api/v1/spaces/demo/usage/daily?${range}`)).json().days).toEqual([
      { date: '2026-10-25', machine: 'printer-1', sessions: 1, seconds: 1800 },
    ])
    const other = await bob.get(`/api/v1/spaces/demo/usage/daily?${range}&member=alice@demo.fablab`)
    expect(other.statusCode).toBe(403)
  })

  it('refuses a backwards or too long period, and strangers', async () => {
    const staff = await server.as('staff@demo.fablab')
    const backwards = await staff.get(
      '/api/v1/spaces/demo/usage/daily?from=2026-10-26T00:00:00.000Z&to=2026-10-25T00:00:00.000Z',
    )
    expect(backwards.statusCode).toBe(400)
    expect(backwards.json().code).toBe('VALIDATION_FAILED')
    const long = await staff.get('/api/v1/spaces/demo/usage/daily?from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z')
    expect(long.statusCode).toBe(400)
    expect((await server.anonymous.get(`/api/v1/spaces/demo/usage/daily?${range}`)).statusCode).toBe(401)
  })
})
