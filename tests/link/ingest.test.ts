// The server side of the MQTT contract, driven by a raw MQTT client playing an agent:
// events stored exactly once, acknowledged up to the last contiguous sequence, projected
// into the usage log and live state, pushed to browsers; bad payloads refused.
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectClient, startTestBroker, type TestBroker } from '../helpers/broker.js'
import { connectLive, type LiveClient } from '../helpers/live.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

let broker: TestBroker
let server: TestServer
let agent: MqttClient
let staffLive: LiveClient
const acks: number[] = []
// Unique agent id per run: MQTT_TEST_URL may point at a shared Mosquitto.
const slug = `it-pi-${process.pid}-${Date.now() % 100000}`
let seq = 0

beforeAll(async () => {
  broker = await startTestBroker()
  server = await startTestServer({ mqtt: { url: broker.url, mode: 'external', ...broker.server } })
  const db = server.database.db
  const demo = await db.space.findUniqueOrThrow({ where: { slug: 'demo' } })
  const created = await db.agent.create({ data: { spaceId: demo.id, slug, name: 'Test Pi', credentialHash: 'x' } })
  await db.machine.updateMany({ where: { spaceId: demo.id }, data: { agentId: created.id } })
  await server.app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(server.app.server.address() as { port: number }).port}`
  staffLive = await connectLive(base, { cookie: (await server.as('staff@demo.fablab')).cookie })
  agent = await connectClient(broker.url)
  agent.on('message', (topic, payload) => {
    if (topic.endsWith('/acks')) acks.push(JSON.parse(payload.toString()).seq)
  })
  await agent.subscribeAsync(`fablab/v1/agents/${slug}/acks`, { qos: 1 })
  await new Promise<void>((resolve) =>
    server.app.mqttLink.client!.connected ? resolve() : server.app.mqttLink.client!.once('connect', () => resolve()),
  )
})
afterAll(async () => {
  staffLive?.close()
  agent?.end(true)
  await server.close()
  await broker.close()
})

function event(type: string, body: Record<string, unknown>, machine = 'laser-1', s = ++seq) {
  return { id: `${slug}:${s}`, seq: s, type, at: new Date().toISOString(), machine, body }
}
const publish = (payload: unknown) =>
  agent.publishAsync(
    `fablab/v1/agents/${slug}/events`,
    typeof payload === 'string' ? payload : JSON.stringify(payload),
    { qos: 1 },
  )
const ackAtLeast = (n: number) => expect.poll(() => Math.max(0, ...acks), { timeout: 3000 }).toBeGreaterThanOrEqual(n)

describe('event ingestion', () => {
  it('stores a denial once even when replayed, and acknowledges it', async () => {
    const denied = event('access.denied', { badgeUid: '0B0056CD78', reason: 'training_missing', training: 'laser' })
    await publish(denied)
    await publish(denied)
    await publish(denied)
    await ackAtLeast(denied.seq)
    await server.app.agentLink!.idle()
    const rows = await server.database.db.accessEvent.findMany({
      where: { eventId: denied.id },
      include: { member: { include: { person: true } } },
    })
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ decision: 'denied', reason: 'training_missing', badgeUid: '0B0056CD78' })
    expect(rows[0]!.member!.person.email).toBe('bob@demo.fablab')
    const live = await staffLive.next('access.decision', (d) => d.badgeUid === '0B0056CD78')
    expect(live).toMatchObject({
      machine: 'laser-1',
      decision: 'denied',
      reason: 'training_missing',
      member: { name: 'Bob Durand' },
    })
  })

  it('turns session events into a usage session with its original times', async () => {
    const startedAt = new Date(Date.now() - 3_600_000).toISOString()
    const endedAt = new Date(Date.now() - 600_000).toISOString()
    const started = { ...event('session.started', { sessionId: 's-1', badgeUid: '0A0012AB34' }), at: startedAt }
    await publish(event('access.granted', { badgeUid: '0A0012AB34', reason: 'walk_in' }))
    await publish(started)
    await staffLive.next('session.started', (d) => d.sessionId === 's-1')
    const machine = await server.database.db.machine.findFirstOrThrow({ where: { slug: 'laser-1' } })
    expect(machine.liveState).toBe('in_use')
    await publish({
      ...event('session.ended', { sessionId: 's-1', durationSeconds: 3000, endCause: 'same_badge', busySeconds: 2400 }),
      at: endedAt,
    })
    await staffLive.next('session.ended', (d) => d.sessionId === 's-1')
    const session = await server.database.db.usageSession.findUniqueOrThrow({
      where: { agentSessionId: 's-1' },
      include: { member: { include: { person: true } } },
    })
    expect(session.startedAt.toISOString()).toBe(startedAt)
    expect(session.endedAt!.toISOString()).toBe(endedAt)
    expect(session).toMatchObject({ endCause: 'same_badge', busySeconds: 2400 })
    expect(session.member!.person.email).toBe('alice@demo.fablab')
  })

  it('acknowledges only up to a gap, then past it once the gap is filled', async () => {
    await ackAtLeast(seq)
    const a = event('machine.state', { state: 'idle', watts: 3 })
    const skipped = ++seq
    const c = event('machine.state', { state: 'idle', watts: 5 })
    await publish(a)
    await publish(c)
    await ackAtLeast(a.seq)
    await server.app.agentLink!.idle()
    expect(Math.max(...acks)).toBe(a.seq)
    await publish(event('machine.state', { state: 'idle', watts: 4 }, 'laser-1', skipped))
    await ackAtLeast(c.seq)
  })

  it('refuses malformed and oversized payloads, logs them, and goes on', async () => {
    const before = { ...server.app.agentLink!.rejected }
    await publish('{not json')
    await publish({ id: 'x', seq: 'one', type: 'access.granted' })
    await publish(JSON.stringify({ ...event('machine.state', {}, 'laser-1', 1_000_000), pad: 'x'.repeat(70_000) }))
    const good = event('access.denied', { badgeUid: 'FFFF000001', reason: 'unknown_badge' })
    await publish(good)
    await ackAtLeast(good.seq)
    expect(server.app.agentLink!.rejected.malformed).toBe(before.malformed + 2)
    expect(server.app.agentLink!.rejected.tooLarge).toBe(before.tooLarge + 1)
    expect(await server.database.db.accessEvent.count({ where: { eventId: good.id } })).toBe(1)
  })
})

describe('presence', () => {
  it('keeps agent and machine online state from status messages', async () => {
    const status = (body: object) =>
      agent.publishAsync(`fablab/v1/agents/${slug}/status`, JSON.stringify(body), { qos: 1, retain: true })
    await status({
      online: true,
      version: '0.1.0',
      rightsVersion: 3,
      pending: 7,
      machines: [{ machine: 'cnc-1', state: 'idle', watts: null }],
    })
    await staffLive.next('agent.status', (s) => s.agent === slug && s.online === true)
    expect(await server.database.db.agent.findUniqueOrThrow({ where: { slug } })).toMatchObject({
      online: true,
      version: '0.1.0',
      heldRightsVersion: 3,
      pendingEvents: 7,
    })
    // Staff see it in the agents list (events waiting at the Pi: its link is struggling).
    const staff = await server.as('staff@demo.fablab')
    const listed = (await staff.get('/api/v1/spaces/demo/agents')).json()
    expect(listed.find((a: { slug: string }) => a.slug === slug)).toMatchObject({ online: true, pendingEvents: 7 })
    await status({ online: false })
    await staffLive.next('agent.status', (s) => s.agent === slug && s.online === false)
    const machines = await server.database.db.machine.findMany({ where: { agent: { slug } } })
    expect(machines.every((m) => m.liveState === 'offline')).toBe(true)
    await agent.publishAsync(`fablab/v1/agents/${slug}/status`, '', { qos: 1, retain: true })
  })
  it('handles a burst of statuses by the newest; power alone changes the watts, not the state or its time', async () => {
    const db = server.database.db
    const status = (body: object) =>
      agent.publishAsync(`fablab/v1/agents/${slug}/status`, JSON.stringify(body), { qos: 1, retain: true })
    const machines = (watts: number) => [{ machine: 'cnc-1', state: 'idle', watts }]
    await status({ online: true, rightsVersion: 100, pending: 0, machines: machines(0) })
    await staffLive.next('agent.status', (s) => s.agent === slug && s.rightsVersion === 100)
    const before = await db.machine.findFirstOrThrow({ where: { slug: 'cnc-1', agent: { slug } } })
    expect(before).toMatchObject({ liveState: 'idle', liveWatts: 0 })
    const seen = staffLive.received.length
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        status({ online: true, rightsVersion: 101 + i, pending: i + 1, machines: machines(i + 1) }),
      ),
    )
    await staffLive.next('agent.status', (s) => s.agent === slug && s.rightsVersion === 130)
    const handled = staffLive.received
      .slice(seen)
      .filter((r) => r.event === 'agent.status' && (r.payload as { agent: string }).agent === slug)
    // Each status is the agent's whole state: one queued behind a newer one is skipped.
    expect(handled.length).toBeLessThan(30)
    expect(await db.agent.findUniqueOrThrow({ where: { slug } })).toMatchObject({
      heldRightsVersion: 130,
      pendingEvents: 30,
    })
    const after = await db.machine.findFirstOrThrow({ where: { id: before.id } })
    expect(after).toMatchObject({ liveState: 'idle', liveWatts: 30, liveSince: before.liveSince })
    expect(staffLive.received.slice(seen).some((r) => r.event === 'machine.state')).toBe(false)
    await agent.publishAsync(`fablab/v1/agents/${slug}/status`, '', { qos: 1, retain: true })
  })
})

describe('staff commands', () => {
  it('sends unlock and lock to the agent driving the machine, audited with who sent it', async () => {
    const commands: { type: string; machine?: string; by?: string }[] = []
    const listener = (topic: string, payload: Buffer) => {
      if (topic.endsWith('/commands')) commands.push(JSON.parse(payload.toString()))
    }
    agent.on('message', listener)
    await agent.subscribeAsync(`fablab/v1/agents/${slug}/commands`, { qos: 1 })
    const staff = await server.as('staff@demo.fablab')
    const res = await staff.post('/api/v1/spaces/demo/machines/laser-1/unlock', { member: 'alice@demo.fablab' })
    expect(res.statusCode).toBe(202)
    expect((await staff.post('/api/v1/spaces/demo/machines/laser-1/lock')).statusCode).toBe(202)
    await expect
      .poll(() => commands.map((c) => `${c.type} ${c.machine} ${c.by}`))
      .toEqual(['unlock laser-1 staff@demo.fablab', 'lock laser-1 staff@demo.fablab'])
    const audits = await server.database.db.auditLog.findMany({
      where: { action: { in: ['machine.unlock', 'machine.lock'] } },
    })
    expect(audits).toHaveLength(2)
    const alice = await server.as('alice@demo.fablab')
    expect((await alice.post('/api/v1/spaces/demo/machines/laser-1/unlock')).statusCode).toBe(403)
    agent.off('message', listener)
  })

  it('enrols the next unknown badge tapped at the agent to the chosen member', async () => {
    const staff = await server.as('staff@demo.fablab')
    const res = await staff.post(`/api/v1/spaces/demo/agents/${slug}/enrol`, { member: 'bob@demo.fablab', seconds: 60 })
    expect(res.statusCode).toBe(202)
    const tap = event('access.denied', { badgeUid: '0C00112233', reason: 'unknown_badge' })
    await publish(tap)
    await ackAtLeast(tap.seq)
    await server.app.agentLink!.idle()
    const badge = await server.database.db.badge.findFirstOrThrow({
      where: { uid: '0C00112233' },
      include: { membership: { include: { person: true } } },
    })
    expect(badge.membership.person.email).toBe('bob@demo.fablab')
    // Enrol mode is used up: the next unknown badge stays unknown.
    const other = event('access.denied', { badgeUid: '0D00445566', reason: 'unknown_badge' })
    await publish(other)
    await ackAtLeast(other.seq)
    expect(await server.database.db.badge.count({ where: { uid: '0D00445566' } })).toBe(0)
  })
})
