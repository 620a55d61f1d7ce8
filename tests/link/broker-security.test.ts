// The embedded broker lets each agent touch only its own topics (and device topics),
// with real MQTT clients against a real Aedes.
import mqtt, { type MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashSecret } from '../../server/lib/secrets.js'
import { brokerSecurity, mayPublish, maySubscribe } from '../../server/mqtt/access.js'
import { type EmbeddedBroker, startEmbeddedBroker } from '../../server/mqtt/broker.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'

let database: TestDatabase
let broker: EmbeddedBroker
const credentials = {
  server: { username: 'fablab-server', password: 'server-secret' },
  devicesPassword: 'devices-secret',
}
const clients: MqttClient[] = []

beforeAll(async () => {
  database = await createTestDatabase()
  const demo = await database.db.space.findUniqueOrThrow({ where: { slug: 'demo' } })
  await database.db.agent.create({
    data: { spaceId: demo.id, slug: 'other-pi', name: 'Other', credentialHash: hashSecret('other-token') },
  })
  broker = await startEmbeddedBroker(
    0,
    '127.0.0.1',
    brokerSecurity(database.db, credentials, () => {}),
  )
})
afterAll(async () => {
  for (const c of clients) c.end(true)
  await broker.close()
  await database.drop()
})

async function connect(username: string, password: string): Promise<MqttClient> {
  const client = mqtt.connect(broker.url, { username, password, protocolVersion: 4, reconnectPeriod: 0 })
  clients.push(client)
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve())
    client.once('error', reject)
  })
  return client
}

describe('topic rules', () => {
  it('gives an agent its own status/events, never another agent topics nor server → agent topics', () => {
    const a = { kind: 'agent', agent: 'demo-pi' } as const
    expect(mayPublish(a, 'fablab/v1/agents/demo-pi/events')).toBe(true)
    expect(mayPublish(a, 'fablab/v1/agents/demo-pi/status')).toBe(true)
    expect(mayPublish(a, 'fablab/v1/agents/demo-pi/rights')).toBe(false)
    expect(mayPublish(a, 'fablab/v1/agents/other-pi/events')).toBe(false)
    expect(mayPublish(a, 'cmnd/printer-plug/POWER')).toBe(true)
    expect(maySubscribe(a, 'fablab/v1/agents/demo-pi/#')).toBe(true)
    expect(maySubscribe(a, 'fablab/v1/server/online')).toBe(true)
    expect(mayPublish(a, 'fablab/v1/server/online')).toBe(false)
    expect(maySubscribe(a, 'fablab/v1/server/#')).toBe(false)
    for (const filter of ['#', 'fablab/#', 'fablab/v1/agents/+/events', '+/v1/agents/+/rights', '+/#', '$SYS/#']) {
      expect(maySubscribe(a, filter), filter).toBe(false)
    }
    expect(maySubscribe(a, 'stat/printer-plug/+')).toBe(true)
    expect(maySubscribe(a, '+/status/switch:0')).toBe(true)
    expect(mayPublish({ kind: 'devices' }, 'fablab/v1/agents/demo-pi/events')).toBe(false)
  })
})

describe('embedded broker', () => {
  it('refuses a wrong credential and an unknown agent', async () => {
    await expect(connect('demo-pi', 'wrong')).rejects.toThrow(/Bad username or password|Not authorized/i)
    await expect(connect('ghost-pi', 'demo-agent-token')).rejects.toThrow(/Bad username or password|Not authorized/i)
  })

  it("does not deliver what agent A publishes on agent B's topics", async () => {
    const server = await connect('fablab-server', 'server-secret')
    const received: string[] = []
    server.on('message', (topic, payload) => received.push(`${topic} ${payload}`))
    await server.subscribeAsync('fablab/v1/agents/+/events', { qos: 1 })

    const intruder = await connect('demo-pi', 'demo-agent-token')
    const closed = new Promise<void>((resolve) => intruder.once('close', () => resolve()))
    intruder.publish('fablab/v1/agents/other-pi/events', 'forged', { qos: 1 })
    await closed // the broker drops a client that publishes where it may not

    const other = await connect('other-pi', 'other-token')
    await other.publishAsync('fablab/v1/agents/other-pi/events', 'genuine', { qos: 1 })
    await expect.poll(() => received).toEqual(['fablab/v1/agents/other-pi/events genuine'])
  })

  it("refuses an agent's subscription to another agent's rights", async () => {
    const agent = await connect('demo-pi', 'demo-agent-token')
    await expect(agent.subscribeAsync('fablab/v1/agents/other-pi/rights', { qos: 1 })).rejects.toThrow(
      /Subscribe error/,
    )
    // Refused with a SUBACK failure, not a disconnection: its own topics still work.
    const granted = await agent.subscribeAsync('fablab/v1/agents/demo-pi/rights', { qos: 1 })
    expect(granted.map((g) => [g.topic, g.qos])).toEqual([['fablab/v1/agents/demo-pi/rights', 1]])
    expect(agent.connected).toBe(true)
  })

  it('lets devices use device topics only', async () => {
    const plug = await connect('devices', 'devices-secret')
    await plug.publishAsync('stat/printer-plug/POWER', 'ON', { qos: 1 })
    await expect(connect('devices', 'wrong')).rejects.toThrow(/Bad username or password/i)
  })
})
