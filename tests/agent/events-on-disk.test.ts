// The agent sends an event to the server only once it is on the agent's disk: a power cut
// can then never take from the agent an event the server holds (its sequence would be
// given again to another). The relay does not wait for the disk; the report does.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Agent } from '../../agent/agent.js'
import { agentTopic } from '../../protocol/mqtt.js'
import { connectClient, startTestBroker, type TestBroker } from '../helpers/broker.js'

const id = `disk-pi-${process.pid}`
const dataDir = mkdtempSync(join(tmpdir(), 'fablab-on-disk-'))
let broker: TestBroker
let listener: MqttClient
let agent: Agent
const flushes: (() => void)[] = []
/** What reached the events topic: each event's type, or the test's own marker. */
const sent: string[] = []
let flushAsked: () => void = () => {}
const MARKER = 'marker'

/** Resolves when the listener has received `n` messages in all. */
const received = (n: number) =>
  new Promise<void>((resolve) => {
    const check = () => {
      if (sent.length < n) return
      listener.off('message', check)
      resolve()
    }
    listener.on('message', check)
    check()
  })

beforeAll(async () => {
  broker = await startTestBroker()
  listener = await connectClient(broker.url, broker.server)
  await listener.subscribeAsync(agentTopic(id, 'events'), { qos: 1 })
  listener.on('message', (_topic, payload) => {
    const text = payload.toString()
    sent.push(text === MARKER ? text : (JSON.parse(text) as { type: string }).type)
  })
  agent = new Agent(
    {
      id,
      server: 'http://127.0.0.1:9', // no server: the agent decides from what it has (nothing: refused)
      mqtt: broker.url,
      token: 'disk-token',
      dataDir,
      machines: [{ machine: 'laser-1', reader: { type: 'fake' }, relay: { type: 'fake' } }],
    },
    {
      simulate: true,
      log: () => {},
      syncFile: (_fd, done) => {
        flushes.push(() => done(null))
        flushAsked()
      },
    },
  )
  await agent.start()
  const client = agent.mqtt!
  if (!client.connected) await new Promise<void>((resolve) => client.once('connect', () => resolve()))
})
afterAll(async () => {
  for (const flush of flushes.splice(0)) flush()
  await agent?.stop()
  // A shared Mosquitto would keep the agent's last status.
  await listener?.publishAsync(agentTopic(id, 'status'), '', { qos: 1, retain: true })
  listener?.end(true)
  await broker?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

it('records a tap at once, and sends it once it is on disk', async () => {
  const asked = new Promise<void>((resolve) => (flushAsked = resolve))
  agent.tap('laser-1', '0A0012AB34')
  await asked // committed, its flush to disk under way
  expect(agent.store.pending(10).map((e) => e.type)).toEqual(['access.denied'])
  const flushed = agent.flush()
  // A marker sent after the flush began, on the agent's own connection and the same topic,
  // arrives after anything the flush had published.
  await agent.mqtt!.publishAsync(agentTopic(id, 'events'), MARKER, { qos: 1 })
  await received(1)
  expect(sent).toEqual([MARKER])
  flushes.shift()!()
  await flushed
  await received(2)
  expect(sent).toEqual([MARKER, 'access.denied'])
})
