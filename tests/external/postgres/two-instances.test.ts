// Two server instances on one PostgreSQL and one broker, as a network of spaces would run
// them: an event stored once whichever instance takes it, live pushes reaching browsers
// connected to the other instance (socket.io PostgreSQL adapter). Runs in CI's PostgreSQL
// suite (npm run test:postgres with TEST_DATABASE_URL).
import type { FastifyInstance } from 'fastify'
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../../server/app.js'
import { changeFeedOf, openDb } from '../../../server/db/client.js'
import { connectClient, startTestBroker, type TestBroker } from '../../helpers/broker.js'
import { changesHeard, createTestDatabase, notificationHeard, type TestDatabase } from '../../helpers/database.js'
import { connectLive, type LiveClient } from '../../helpers/live.js'
import { login, type TestClient, testConfig } from '../../helpers/server.js'

if (!process.env.TEST_DATABASE_URL)
  throw new Error('this suite needs TEST_DATABASE_URL=postgresql://… (npm run test:postgres)')

let database: TestDatabase
let broker: TestBroker
const instances: FastifyInstance[] = []
let agent: MqttClient
let liveOnB: LiveClient
const slug = `two-pi-${process.pid}`
const group = broker0Group()

function broker0Group() {
  // A shared subscription group splits agent traffic between instances on Mosquitto;
  // the embedded Aedes has no shared subscriptions: both instances then read every event.
  return process.env.MQTT_TEST_URL ? `fablab-test-${process.pid}` : null
}

beforeAll(async () => {
  database = await createTestDatabase()
  broker = await startTestBroker()
  const demo = await database.db.space.findUniqueOrThrow({ where: { slug: 'demo' } })
  const created = await database.db.agent.create({ data: { spaceId: demo.id, slug, name: 'Two', credentialHash: 'x' } })
  await database.db.machine.updateMany({ where: { spaceId: demo.id }, data: { agentId: created.id } })
  for (let i = 0; i < 2; i++) {
    const app = await buildApp(testConfig({ databaseUrl: database.url, mqttSharedGroup: group }), {
      db: await openDb(database.url),
      mqtt: { url: broker.url, mode: 'external', ...broker.server },
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    instances.push(app)
  }
  for (const app of instances) {
    const client = app.mqttLink.client!
    if (!client.connected) await new Promise<void>((resolve) => client.once('connect', () => resolve()))
  }
  const b = instances[1]!
  const staffOnB = await login(b, 'staff@demo.fablab')
  liveOnB = await connectLive(`http://127.0.0.1:${(b.server.address() as { port: number }).port}`, {
    cookie: staffOnB.cookie,
  })
  agent = await connectClient(broker.url)
})
afterAll(async () => {
  liveOnB?.close()
  agent?.end(true)
  for (const app of instances) {
    await app.close()
    await app.db.$disconnect()
  }
  await broker.close()
  await database.drop()
})

/** Books 9:00–10:00 UTC, `days` from now. */
function bookAnHour(client: TestClient, machine: string, days: number) {
  const start = new Date(Date.now() + days * 86_400_000)
  start.setUTCHours(9, 0, 0, 0)
  return client.post('/api/v1/spaces/demo/bookings', {
    machine,
    start: start.toISOString(),
    end: new Date(start.getTime() + 3_600_000).toISOString(),
  })
}

describe('two server instances on one PostgreSQL', () => {
  it('a booking made on instance A is pushed to a browser connected to instance B', async () => {
    const staffOnA = await login(instances[0]!, 'staff@demo.fablab')
    const res = await bookAnHour(staffOnA, 'printer-1', 1)
    expect(res.statusCode).toBe(201)
    await liveOnB.next('booking.changed', (b) => b.id === res.json().id)
  })

  it("each instance's kept reads follow the other's writes: a token revoked on A is refused by B", async () => {
    const [a, b] = instances as [FastifyInstance, FastifyInstance]
    const staffOnA = await login(a, 'staff@demo.fablab')
    const created = (await staffOnA.post('/api/v1/auth/tokens', { name: 'kiosk' })).json()
    const planningOnB = () =>
      b.inject({
        method: 'GET',
        url: '/api/v1/spaces/demo/bookings',
        headers: { authorization: `Bearer ${created.token}` },
      })
    await changesHeard(b.db, database.url)
    expect((await planningOnB()).statusCode).toBe(200)
    // No trigger tells of a booking: instance A announces its committed writes itself,
    // before they return. (Any notification B hears bumps its copies: wait for A's own.)
    const heardFromA = notificationHeard(changeFeedOf(b.db)!, changeFeedOf(a.db)!.announcement)
    const booked = await bookAnHour(staffOnA, 'laser-1', 2)
    expect(booked.statusCode).toBe(201)
    await heardFromA
    const planning = await planningOnB()
    expect(planning.json().map((booking: { id: string }) => booking.id)).toContain(booked.json().id)
    expect((await staffOnA.delete(`/api/v1/auth/tokens/${created.id}`)).statusCode).toBe(200)
    await changesHeard(b.db, database.url)
    expect((await planningOnB()).statusCode).toBe(401)
  })

  it('an agent event is stored once and pushed once, whichever instance takes it', async () => {
    const publish = (seq: number, uid: string) =>
      agent.publishAsync(
        `fablab/v1/agents/${slug}/events`,
        JSON.stringify({
          id: `${slug}:${seq}`,
          seq,
          type: 'access.denied',
          at: new Date().toISOString(),
          machine: 'laser-1',
          body: { badgeUid: uid, reason: 'unknown_badge' },
        }),
        { qos: 1 },
      )
    await publish(1, 'AA00000001')
    await publish(1, 'AA00000001') // a QoS 1 duplicate
    await publish(2, 'AA00000002')
    await liveOnB.next('access.decision', (d) => d.badgeUid === 'AA00000001')
    await liveOnB.next('access.decision', (d) => d.badgeUid === 'AA00000002')
    await Promise.all(instances.map((app) => app.agentLink!.idle()))
    const pushed = liveOnB.received.filter((r) => r.event === 'access.decision')
    expect(pushed.map((r) => (r.payload as { badgeUid: string }).badgeUid).sort()).toEqual(['AA00000001', 'AA00000002'])
    expect(
      await database.db.accessEvent.count({
        where: { agentId: { not: null }, badgeUid: { in: ['AA00000001', 'AA00000002'] } },
      }),
    ).toBe(2)
  })
})
