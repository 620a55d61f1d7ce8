// Live updates reach the browsers of the right space, and only them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashPassword } from '../../server/lib/secrets.js'
import { connectLive } from '../helpers/live.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

let server: TestServer
let base: string
beforeAll(async () => {
  server = await startTestServer()
  await server.app.listen({ port: 0, host: '127.0.0.1' })
  base = `http://127.0.0.1:${(server.app.server.address() as { port: number }).port}`
  await server.database.db.person.create({
    data: { email: 'olga@other.example', name: 'Olga', passwordHash: await hashPassword('olga-password') },
  })
})
afterAll(async () => server.close())

const slot = (days: number, hour: number) => {
  const d = new Date(Date.now() + days * 86_400_000)
  d.setUTCHours(hour, 0, 0, 0)
  return d.toISOString()
}

describe('live updates over socket.io', () => {
  it('refuses a socket without a login', async () => {
    await expect(connectLive(base, {})).rejects.toThrow('UNAUTHENTICATED')
    await expect(connectLive(base, { cookie: 'fablab_session=forged' })).rejects.toThrow('UNAUTHENTICATED')
  })

  it("pushes a booking to the space's members, without who booked, and not to another space", async () => {
    const [alice, staff, olga] = await Promise.all([
      server.as('alice@demo.fablab'),
      server.as('staff@demo.fablab'),
      server.as('olga@other.example', 'olga-password'),
    ])
    await olga.post('/api/v1/spaces', { slug: 'other', name: 'Autre' })
    const [aliceLive, olgaLive] = await Promise.all([
      connectLive(base, { cookie: alice.cookie }),
      connectLive(base, { cookie: olga.cookie }),
    ])
    try {
      const booked = await staff.post('/api/v1/spaces/demo/bookings', {
        machine: 'printer-1',
        start: slot(1, 9),
        end: slot(1, 10),
      })
      expect(booked.statusCode).toBe(201)
      const pushed = await aliceLive.next('booking.changed', (b) => b.id === booked.json().id)
      expect(pushed).toEqual({
        id: booked.json().id,
        machine: 'printer-1',
        start: slot(1, 9),
        end: slot(1, 10),
        status: 'confirmed',
        space: 'demo', // a browser in several spaces tells them apart
      })

      // Olga's own space's event is emitted after demo's: had demo's reached her, it would be first.
      const theirs = await server.database.db.space.findUniqueOrThrow({ where: { slug: 'other' } })
      server.app.live.emit(theirs.id, 'booking.changed', { marker: true })
      await olgaLive.next('booking.changed', (p) => p.marker === true)
      expect(olgaLive.received).toEqual([{ event: 'booking.changed', payload: { marker: true, space: 'other' } }])
    } finally {
      aliceLive.close()
      olgaLive.close()
    }
  })

  it('sends staff events to staff only', async () => {
    const [alice, staff] = await Promise.all([server.as('alice@demo.fablab'), server.as('staff@demo.fablab')])
    const [aliceLive, staffLive] = await Promise.all([
      connectLive(base, { cookie: alice.cookie }),
      connectLive(base, { cookie: staff.cookie }),
    ])
    try {
      const demo = await server.database.db.space.findUniqueOrThrow({ where: { slug: 'demo' } })
      server.app.live.emit(demo.id, 'access.decision', { reason: 'training_missing' }, 'staff')
      server.app.live.emit(demo.id, 'machine.state', { machine: 'laser-1', state: 'idle' })
      await staffLive.next('access.decision')
      await aliceLive.next('machine.state')
      expect(aliceLive.received.map((r) => r.event)).toEqual(['machine.state'])
    } finally {
      aliceLive.close()
      staffLive.close()
    }
  })

  it('accepts an API token instead of a cookie', async () => {
    const staff = await server.as('staff@demo.fablab')
    const { token } = (await staff.post('/api/v1/auth/tokens', { name: 'wallboard' })).json()
    const live = await connectLive(base, { token })
    live.close()
  })
})
