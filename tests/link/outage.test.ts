// Nothing is lost when the server or the broker goes away: the agent keeps deciding,
// keeps everything in its outbox, and the server stores it exactly once, with the
// original times, when it is back.
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { Agent } from '../../agent/agent.js'
import { AgentStore } from '../../agent/core/outbox.js'
import { agentTopic, SERVER_ONLINE_TOPIC } from '../../protocol/mqtt.js'
import { buildApp } from '../../server/app.js'
import { openDb } from '../../server/db/client.js'
import { hashSecret } from '../../server/lib/secrets.js'
import { brokerSecurity } from '../../server/mqtt/access.js'
import { type EmbeddedBroker, startEmbeddedBroker } from '../../server/mqtt/broker.js'
import { connectClient, testBrokerCredentials } from '../helpers/broker.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { mqttConnected, testConfig } from '../helpers/server.js'

let database: TestDatabase
let broker: EmbeddedBroker
let app: FastifyInstance | null = null
let agent: Agent
let base = ''
// The agent's clock, moved by the test: one tap a minute.
let clock = Date.now()
const slug = 'outage-pi'
const dataDir = mkdtempSync(join(tmpdir(), 'fablab-outage-'))

async function startServer(port = 0) {
  const server = await buildApp(testConfig({ databaseUrl: database.url }), {
    db: await openDb(database.url),
    mqtt: { url: broker.url, mode: 'external', ...testBrokerCredentials.server },
  })
  await server.listen({ port, host: '127.0.0.1' })
  await mqttConnected(server)
  app = server
  return `http://127.0.0.1:${(server.server.address() as { port: number }).port}`
}
async function stopServer() {
  await app!.close()
  await app!.db.$disconnect()
  app = null
}
const security = () => brokerSecurity(database.db, testBrokerCredentials, () => {})

/** Resolves once the server has acknowledged everything the agent recorded. */
async function drained() {
  while (agent.store.count() > 0) await once(agent, 'acked')
}

/**
 * A second agent, owning the CNC, that resends on silence only after ten minutes (longer
 * than a test may run): what it sends again, something else asked for. Started, with rights.
 */
async function cncAgent(slug: string, deps: { batchSize?: number } = {}) {
  const db = database.db
  const demo = await db.space.findUniqueOrThrow({ where: { slug: 'demo' } })
  const record = await db.agent.create({
    data: { spaceId: demo.id, slug, name: slug, credentialHash: hashSecret(`${slug}-token`) },
  })
  await db.machine.updateMany({ where: { slug: 'cnc-1' }, data: { agentId: record.id } })
  const dir = mkdtempSync(join(tmpdir(), `fablab-${slug}-`))
  const agent = new Agent(
    {
      id: slug,
      server: base,
      mqtt: broker.url,
      token: `${slug}-token`,
      dataDir: dir,
      machines: [{ machine: 'cnc-1', reader: { type: 'fake' }, relay: { type: 'fake' } }],
    },
    { simulate: true, now: () => clock, tickMs: 50, resendMs: 600_000, log: () => {}, ...deps },
  )
  const rights = once(agent, 'rights')
  await agent.start()
  await rights
  return {
    agent,
    stop: async () => {
      await agent.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

function tapMany(count: number) {
  const times: string[] = []
  for (let i = 0; i < count; i++) {
    clock += 60_000
    times.push(new Date(clock).toISOString())
    agent.tap('printer-1', i % 4 === 3 ? '0B0056CD78' : '0A0012AB34')
  }
  return times
}

beforeAll(async () => {
  database = await createTestDatabase()
  const demo = await database.db.space.findUniqueOrThrow({ where: { slug: 'demo' } })
  const created = await database.db.agent.create({
    data: { spaceId: demo.id, slug, name: 'Outage Pi', credentialHash: hashSecret('outage-token') },
  })
  await database.db.machine.updateMany({ where: { slug: 'printer-1' }, data: { agentId: created.id } })
  broker = await startEmbeddedBroker(0, '127.0.0.1', security())
  base = await startServer()
  agent = new Agent(
    {
      id: slug,
      server: base,
      mqtt: broker.url,
      token: 'outage-token',
      dataDir,
      machines: [{ machine: 'printer-1', reader: { type: 'fake' }, relay: { type: 'fake' } }],
    },
    { simulate: true, now: () => clock, tickMs: 50, resendMs: 1000, log: () => {} },
  )
  const rights = once(agent, 'rights')
  await agent.start()
  await rights
})
afterAll(async () => {
  await agent?.stop()
  if (app) await stopServer()
  await broker?.close()
  await database?.drop()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('outages', () => {
  it('server stopped, 200 taps at the agent, server back: every event stored once with its original time', async () => {
    const port = Number(new URL(base).port)
    await stopServer()
    const checkpoints = vi.spyOn(agent.store, 'checkpointIfDue')
    const times = tapMany(200)
    // The agent went on deciding alone: alice's taps open and close sessions, bob is refused.
    expect(agent.store.count()).toBeGreaterThanOrEqual(200)
    await startServer(port)
    await drained()
    const db = database.db
    const events = await db.accessEvent.findMany({
      where: { agentId: { not: null }, machine: { slug: 'printer-1' } },
      orderBy: { at: 'asc' },
    })
    expect(events).toHaveLength(200)
    expect(events.map((e) => e.at.toISOString())).toEqual(times)
    expect(
      events
        .filter((e) => e.decision === 'denied')
        .every((e) => e.reason === 'walk_in_not_allowed' || e.reason === 'machine_in_use'),
    ).toBe(true)
    const stored = await db.agentEvent.count({ where: { agent: { slug } } })
    expect(stored).toBe((await db.agent.findUniqueOrThrow({ where: { slug } })).ackedSeq)
    const sessions = await db.usageSession.findMany({ where: { machine: { slug: 'printer-1' } } })
    expect(sessions.length).toBeGreaterThan(0)
    expect(sessions.every((s) => s.endedAt === null || s.endedAt > s.startedAt)).toBe(true)
    expect(new Set(sessions.map((s) => s.agentSessionId)).size).toBe(sessions.length)
    // The agent's timer, not a tap's commit, moved the grown WAL into its database.
    expect(checkpoints.mock.results.some((r) => r.value === true)).toBe(true)
    checkpoints.mockRestore()
  })

  it('a server restarted behind a broker that stayed up gets what it missed at once, not after resendMs', async () => {
    const { agent: patient, stop } = await cncAgent('patient-pi')
    try {
      const port = Number(new URL(base).port)
      await stopServer()
      // Sent to the broker at once, while no server listens: the broker keeps nothing.
      for (let i = 0; i < 5; i++) patient.tap('cnc-1', '0B0056CD78')
      await patient.flush()
      expect(patient.store.count()).toBe(5)
      await startServer(port)
      while (patient.store.count() > 0) await once(patient, 'acked')
      expect(await database.db.agentEvent.count({ where: { agent: { slug: 'patient-pi' } } })).toBe(5)
    } finally {
      await stop()
    }
  })

  it('the server announcing itself during a long send has it start again from the oldest', async () => {
    // Batches of 2, and no resending on silence: only the announcement asks for it.
    const { agent: busy, stop } = await cncAgent('busy-pi', { batchSize: 2 })
    // Where the server would listen, as a server that has not subscribed yet would not.
    const listener = await connectClient(broker.url, { ...testBrokerCredentials.server })
    const received: number[] = []
    listener.on('message', (_topic, payload) => received.push(JSON.parse(payload.toString()).seq))
    await listener.subscribeAsync(agentTopic('busy-pi', 'events'), { qos: 1 })
    const port = Number(new URL(base).port)
    try {
      await stopServer()
      await busy.flush() // the agent's own events so far
      const before = received.length
      const earlier = new Set(busy.store.pending().map((e) => e.seq))
      for (let i = 0; i < 10; i++) busy.tap('cnc-1', '0B0056CD78')
      const queued = busy.store.pending().map((e) => e.seq)
      const firstTap = queued.find((seq) => !earlier.has(seq))
      // The announcement arrives once the first batch is out, the rest still to go.
      const client = busy.mqtt!
      const sendable = busy.store.sendable.bind(busy.store)
      let batches = 0
      vi.spyOn(busy.store, 'sendable').mockImplementation((...args) => {
        if (++batches === 2) client.emit('message', SERVER_ONLINE_TOPIC, Buffer.from('{}'), {} as never)
        return sendable(...args)
      })
      const published = vi.spyOn(client, 'publishAsync')
      await busy.flush()
      vi.mocked(busy.store.sendable).mockRestore()
      const sentEvents = published.mock.calls.filter(([topic]) => topic === agentTopic('busy-pi', 'events')).length
      while (received.length - before < sentEvents) await new Promise((resolve) => listener.once('message', resolve))
      const sent = received.slice(before)
      // The new taps once, then everything not acknowledged again from the oldest.
      expect(sent.filter((seq) => seq === firstTap)).toHaveLength(2)
      expect(new Set(sent)).toEqual(new Set(queued))
      published.mockRestore()
    } finally {
      // Stopped before the server is back: what it never had acknowledged would reach the
      // server while the next test counts its own events.
      listener.end(true)
      await stop()
      if (!app) await startServer(port)
    }
  })

  it('broker killed and restarted while the agent records: nothing lost', async () => {
    const before = await database.db.accessEvent.count()
    const port = broker.port
    await broker.close()
    const times = tapMany(40)
    broker = await startEmbeddedBroker(port, '127.0.0.1', security())
    // Both reconnect by themselves; the agent sends again what was not acknowledged.
    await drained()
    const events = await database.db.accessEvent.findMany({ orderBy: { at: 'asc' }, skip: before })
    expect(events.map((e) => e.at.toISOString())).toEqual(times)
  })

  it('stops while the broker is away without waiting for it, keeping what was not acknowledged', async () => {
    const port = broker.port
    await broker.close()
    tapMany(5)
    const pending = agent.store.count()
    expect(pending).toBeGreaterThanOrEqual(5)
    await agent.stop() // hung for ever before: a graceful MQTT end waits for acknowledgements
    // An acknowledgement the client had read before it ended, handled after the store closed:
    // it crashed the process ("The database connection is not open").
    const client = (agent as unknown as { mqtt: MqttClient }).mqtt
    expect(() =>
      client.emit('message', agentTopic(slug, 'acks'), Buffer.from(JSON.stringify({ seq: 1 })), {} as never),
    ).not.toThrow()
    const reopened = new AgentStore(dataDir, slug)
    expect(reopened.count()).toBe(pending)
    reopened.close()
    broker = await startEmbeddedBroker(port, '127.0.0.1', security())
  })
})
