// What the agent reports over MQTT, and when. An event goes to the server only once it is on
// the agent's disk: a power cut can then never take from the agent an event the server holds
// (its sequence would be given again to another). The relay does not wait for the disk; the
// report does. Statuses follow changes at once, but a burst of changes sends a few, not one each.
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Agent, STATUS_INTERVAL_MS } from '../../agent/agent.js'
import { agentTopic, type Status } from '../../protocol/mqtt.js'
import { connectClient, startTestBroker, type TestBroker } from '../helpers/broker.js'
import { maker, testSnapshot } from '../helpers/rights.js'

const id = `report-pi-${process.pid}`
const dataDir = mkdtempSync(join(tmpdir(), 'fablab-report-'))
let broker: TestBroker
let listener: MqttClient
let agent: Agent
const flushes: (() => void)[] = []
/** What reached the events topic: each event's type, or the test's own marker. */
const sent: string[] = []
let flushAsked: () => void = () => {}
const MARKER = 'marker'

/** Resolves when the listener has received `n` events in all. */
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
  // The rights it last had: the printer, open to walk-ins, and Alice.
  writeFileSync(
    join(dataDir, 'rights.json'),
    JSON.stringify(
      testSnapshot({
        machines: [
          {
            slug: 'printer-1',
            status: 'available',
            requiredTrainings: [],
            walkInAllowed: true,
            cutPolicy: 'immediate',
            idleThresholdWatts: null,
            maxSessionMinutes: null,
          },
        ],
        members: [maker('alice', 'Alice', '0A0012AB34')],
      }),
    ),
  )
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
      server: 'http://127.0.0.1:9', // no server: the agent decides from the rights it kept
      mqtt: broker.url,
      token: 'report-token',
      dataDir,
      machines: [{ machine: 'printer-1', reader: { type: 'fake' }, relay: { type: 'fake' } }],
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
  agent.tap('printer-1', '0B0056CD78') // unknown here: refused
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

it('a burst of taps sends a status or two, the last with the state the burst left', async () => {
  flushAsked = () => flushes.shift()?.() // the disk keeps up here
  const controller = agent.controllers.get('printer-1')!
  const statuses: { at: number; status: Status }[] = []
  const client = agent.mqtt!
  const publish = client.publish.bind(client)
  let statusSent = () => {}
  client.publish = ((topic: string, message: string, ...rest: never[]) => {
    if (topic === agentTopic(id, 'status')) {
      statuses.push({ at: performance.now(), status: JSON.parse(message) })
      statusSent()
    }
    return publish(topic, message, ...rest)
  }) as typeof client.publish
  // Heard before the agent hears it: a status sent for a change is sent after it.
  let lastChangeAt = 0
  controller.prependListener('state', () => {
    lastChangeAt = performance.now()
  })
  const burstStart = performance.now()
  for (let i = 0; i < 9; i++) {
    const changed = once(controller, 'state')
    agent.tap('printer-1', '0A0012AB34') // on, off, … on
    await changed
  }
  const burstMs = performance.now() - burstStart
  while (!statuses.length || statuses.at(-1)!.at < lastChangeAt) {
    await new Promise<void>((resolve) => (statusSent = resolve))
  }
  client.publish = publish
  expect(statuses.at(-1)!.status.machines).toEqual([{ machine: 'printer-1', state: 'in_use', watts: null }])
  // Nine changes: one status at once at most, then one per STATUS_INTERVAL_MS the burst lasted.
  expect(statuses.length).toBeLessThanOrEqual(2 + Math.floor(burstMs / STATUS_INTERVAL_MS))
})
