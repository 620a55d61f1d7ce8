// Rights distribution: a change that affects decisions reaches the agent's retained
// rights topic within a second, with a new version; unchanged content keeps its version.
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashSecret } from '../../server/lib/secrets.js'
import type { RightsSnapshot } from '../../server/services/rights.js'
import { connectClient, startTestBroker, type TestBroker } from '../helpers/broker.js'
import { startTestServer, type TestClient, type TestServer } from '../helpers/server.js'

let broker: TestBroker
let server: TestServer
let staff: TestClient
let agent: MqttClient
const messages: { version: number; snapshot?: RightsSnapshot }[] = []
// Unique per run: MQTT_TEST_URL may point at a shared Mosquitto that keeps retained messages.
const slug = `rights-pi-${process.pid}-${Date.now() % 100000}`

beforeAll(async () => {
  broker = await startTestBroker()
  server = await startTestServer({ mqtt: { url: broker.url, mode: 'external', ...broker.server } })
  const db = server.database.db
  const demo = await db.space.findUniqueOrThrow({ where: { slug: 'demo' } })
  const created = await db.agent.create({
    data: { spaceId: demo.id, slug, name: 'Rights Pi', credentialHash: hashSecret('rights-token') },
  })
  await db.machine.updateMany({ where: { spaceId: demo.id }, data: { agentId: created.id } })
  staff = await server.as('staff@demo.fablab')
})
afterAll(async () => {
  // Unsubscribe before clearing the retained message: a broker may echo the empty payload.
  await agent?.unsubscribeAsync(`fablab/v1/agents/${slug}/rights`)
  await agent?.publishAsync(`fablab/v1/agents/${slug}/rights`, '', { qos: 1, retain: true })
  agent?.end(true)
  await server.close()
  await broker.close()
})

function nextRights(match: (m: (typeof messages)[number]) => boolean, timeoutMs = 1000) {
  return new Promise<(typeof messages)[number]>((resolve, reject) => {
    const found = messages.find(match)
    if (found) return resolve(found)
    const timer = setTimeout(() => reject(new Error(`no matching rights within ${timeoutMs} ms`)), timeoutMs)
    agent.on('message', () => {
      const m = messages.find(match)
      if (m) {
        clearTimeout(timer)
        resolve(m)
      }
    })
  })
}

describe('rights distribution', () => {
  it('publishes the first snapshot retained, so an agent connecting later gets it', async () => {
    await server.app.rights.spaceChanged('*')
    agent = await connectClient(broker.url)
    agent.on('message', (topic, payload) => {
      if (topic.endsWith('/rights') && payload.length > 0) messages.push(JSON.parse(payload.toString()))
    })
    await agent.subscribeAsync(`fablab/v1/agents/${slug}/rights`, { qos: 1 })
    const first = await nextRights(() => true)
    expect(first.version).toBeGreaterThan(0)
    const alice = first.snapshot!.members.find((m) => m.name === 'Alice Martin')!
    expect(alice.badges).toEqual(['0A0012AB34'])
    expect(alice.trainings.map((t) => t.slug)).toEqual(['laser'])
    expect(first.snapshot!.machines.map((m) => m.slug)).toEqual(['cnc-1', 'laser-1', 'printer-1'])
  })

  it("revoking alice's laser training reaches the agent within 1 s as a new version", async () => {
    const before = messages.at(-1)!.version
    const started = Date.now()
    const res = await staff.delete('/api/v1/spaces/demo/members/alice@demo.fablab/trainings/laser')
    expect(res.statusCode).toBe(200)
    const next = await nextRights((m) => m.version > before, 1000)
    expect(Date.now() - started).toBeLessThan(1000)
    const alice = next.snapshot!.members.find((m) => m.name === 'Alice Martin')!
    expect(alice.trainings).toEqual([])
  })

  it('a booking on one of its machines, and its cancellation, reach the agent within 1 s', async () => {
    const before = messages.at(-1)!.version
    const start = new Date(Date.now() + 86_400_000)
    start.setUTCHours(9, 0, 0, 0)
    const end = new Date(start.getTime() + 3_600_000)
    const booked = await staff.post('/api/v1/spaces/demo/bookings', {
      machine: 'printer-1',
      start: start.toISOString(),
      end: end.toISOString(),
    })
    expect(booked.statusCode).toBe(201)
    const id = booked.json().id
    const withIt = await nextRights((m) => m.version > before && m.snapshot!.bookings.some((b) => b.id === id))
    expect(withIt.snapshot!.bookings.find((b) => b.id === id)).toMatchObject({ machine: 'printer-1' })
    expect((await staff.delete(`/api/v1/spaces/demo/bookings/${id}`)).statusCode).toBe(200)
    await nextRights((m) => m.version > withIt.version && !m.snapshot!.bookings.some((b) => b.id === id))
  })

  it('a write that changes nothing an agent uses keeps the version', async () => {
    const before = (await server.database.db.agent.findUniqueOrThrow({ where: { slug } })).rightsVersion
    await staff.post('/api/v1/spaces/demo/price-groups', { slug: 'bienfaiteur', name: 'Bienfaiteur' })
    await server.app.rights.spaceChanged('*')
    expect((await server.database.db.agent.findUniqueOrThrow({ where: { slug } })).rightsVersion).toBe(before)
  })

  it("a session's debit reaches the agent as new rights where the space requires credit", async () => {
    const db = server.database.db
    const alice = await db.membership.findFirstOrThrow({ where: { person: { email: 'alice@demo.fablab' } } })
    await staff.post('/api/v1/spaces/demo/members/alice@demo.fablab/credit', { amountCents: 5000, means: 'cash' })
    await agent.subscribeAsync(`fablab/v1/agents/${slug}/acks`, { qos: 1 })
    let seq = 0
    const acked = (upTo: number) =>
      new Promise<void>((resolve) => {
        const onAck = (topic: string, payload: Buffer) => {
          if (!topic.endsWith('/acks') || JSON.parse(payload.toString()).seq < upTo) return
          agent.off('message', onAck)
          resolve()
        }
        agent.on('message', onAck)
      })
    /** One hour on laser-1, reported by the agent over MQTT; resolves once the server acknowledged it. */
    const reportSession = async () => {
      const sessionId = `debit-${seq}`
      const body = { sessionId, memberId: alice.id }
      const start = new Date(Date.now() - 3_600_000)
      const events = [
        {
          id: `${sessionId}-a`,
          seq: ++seq,
          type: 'session.started',
          at: start.toISOString(),
          machine: 'laser-1',
          body,
        },
        {
          id: `${sessionId}-b`,
          seq: ++seq,
          type: 'session.ended',
          at: new Date().toISOString(),
          machine: 'laser-1',
          body: { ...body, endCause: 'same_badge', durationSeconds: 3600 },
        },
      ]
      const done = acked(seq)
      for (const e of events) await agent.publishAsync(`fablab/v1/agents/${slug}/events`, JSON.stringify(e), { qos: 1 })
      await done
    }
    await reportSession() // the demo space does not require credit: its snapshot has none (see billing tests)

    await staff.patch('/api/v1/spaces/demo', { requireCredit: true, minCreditCents: 100 })
    const creditOf = (m: (typeof messages)[number]) => m.snapshot!.members.find((x) => x.id === alice.id)!.creditCents
    const before = await nextRights((m) => creditOf(m) > 0) // credit counts now: it is in the snapshot
    const creditBefore = creditOf(before)
    await reportSession()
    const after = await nextRights((m) => m.version > before.version && creditOf(m) < creditBefore)
    expect(creditOf(after)).toBeLessThan(creditBefore)
    await staff.patch('/api/v1/spaces/demo', { requireCredit: false, minCreditCents: 0 })
    await nextRights((m) => m.version > after.version && creditOf(m) === 0)
  })

  it('serves the snapshot over HTTP to the agent credential only, with ETag', async () => {
    const url = `/api/v1/agents/${slug}/rights`
    const denied = await server.app.inject({ method: 'GET', url, headers: { authorization: 'Bearer wrong' } })
    expect(denied.statusCode).toBe(401)
    const ok = await server.app.inject({ method: 'GET', url, headers: { authorization: 'Bearer rights-token' } })
    expect(ok.statusCode).toBe(200)
    expect(ok.json().version).toBe(messages.at(-1)!.version)
    const again = await server.app.inject({
      method: 'GET',
      url,
      headers: { authorization: 'Bearer rights-token', 'if-none-match': ok.headers.etag as string },
    })
    expect(again.statusCode).toBe(304)
    const since = await server.app.inject({
      method: 'GET',
      url: `${url}?since=${ok.json().version}`,
      headers: { authorization: 'Bearer rights-token' },
    })
    expect(since.statusCode).toBe(304)
    // A person's session is not an agent credential.
    const staffGet = await staff.get(url)
    expect(staffGet.statusCode).toBe(401)
  })
})
