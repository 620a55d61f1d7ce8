// Tasmota and Shelly devices against a real broker: the in-process Aedes always, and the
// broker of MQTT_TEST_URL (a real Mosquitto) too when it is set. The test plays the
// device's side of the conversation with its own client.
import { EventEmitter } from 'node:events'
import type { MqttClient } from 'mqtt'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { DeviceLogger } from '../../../agent/devices/logger.js'
import { ShellyRelay } from '../../../agent/devices/shelly.js'
import { TasmotaReader, TasmotaRelay } from '../../../agent/devices/tasmota.js'
import type { BadgeReader, DeviceHealth, Relay } from '../../../agent/devices/types.js'
import { brokerKinds, connectClient, DeviceSide, endClient, type TestBroker, uniqueName } from './broker.js'
import { nextEvent, record } from './wait.js'

/** Collects warnings, and says when one comes. */
class RecordingLogger extends EventEmitter implements DeviceLogger {
  readonly warnings: string[] = []
  info() {}
  warn(message: string) {
    this.warnings.push(message)
    this.emit('warn', message)
  }
  next() {
    return nextEvent<[string]>(this, 'warn').then(([m]) => m)
  }
}

describe.each(brokerKinds)('MQTT devices on $name', (kind) => {
  let broker: TestBroker
  let agent: MqttClient
  let device: DeviceSide
  const opened: (BadgeReader | Relay)[] = []
  /** Retained messages this test left on the broker, cleared afterwards. */
  const retained: string[] = []

  beforeAll(async () => {
    broker = await kind.start()
    // Like the agent's own connection: reconnecting, so mqtt.js remembers subscriptions.
    agent = await connectClient(broker.url, { reconnectPeriod: 1000 })
    device = new DeviceSide(await connectClient(broker.url))
  })
  afterEach(async () => {
    for (const d of opened.splice(0)) await d.close()
    for (const topic of retained.splice(0)) await device.publish(topic, '', true)
  })
  afterAll(async () => {
    await endClient(agent)
    await endClient(device.client)
    await broker.close()
  })

  async function open<T extends BadgeReader | Relay>(d: T): Promise<T> {
    opened.push(d)
    await d.open()
    return d
  }

  describe('Tasmota relay', () => {
    it('publishes cmnd/<topic>/POWER ON and OFF, and follows the state Tasmota confirms', async () => {
      const topic = uniqueName('plug')
      await device.watch(`cmnd/${topic}/POWER`)
      const relay = await open(new TasmotaRelay(agent, topic))
      expect(relay.kind).toBe('tasmota')
      // Opening asks for the current state with an empty POWER command.
      expect(await device.take(`cmnd/${topic}/POWER`)).toBe('')
      expect(relay.isOn).toBeNull()

      await relay.set(true)
      expect(await device.take(`cmnd/${topic}/POWER`)).toBe('ON')
      let state = nextEvent<[boolean]>(relay, 'state')
      await device.publish(`stat/${topic}/RESULT`, { POWER: 'ON' })
      expect(await state).toEqual([true])
      expect(relay.isOn).toBe(true)

      await relay.set(false)
      expect(await device.take(`cmnd/${topic}/POWER`)).toBe('OFF')
      state = nextEvent<[boolean]>(relay, 'state')
      await device.publish(`stat/${topic}/POWER`, 'OFF')
      expect(await state).toEqual([false])

      state = nextEvent<[boolean]>(relay, 'state')
      await device.publish(`tele/${topic}/STATE`, { Time: '2026-01-01T10:00:00', POWER: 'ON', Wifi: { RSSI: 60 } })
      expect(await state).toEqual([true])
    })

    it('learns the state from the answer to its query at open', async () => {
      const topic = uniqueName('plug-query')
      await device.watch(`cmnd/${topic}/POWER`)
      device.client.on('message', (t, payload) => {
        if (t === `cmnd/${topic}/POWER` && payload.length === 0) void device.publish(`stat/${topic}/POWER`, 'ON')
      })
      const relay = new TasmotaRelay(agent, topic)
      const state = nextEvent<[boolean]>(relay, 'state')
      await open(relay)
      expect(await state).toEqual([true])
      expect(relay.isOn).toBe(true)
    })

    it('reads the power draw from tele/<topic>/SENSOR', async () => {
      const topic = uniqueName('laser')
      const relay = await open(new TasmotaRelay(agent, topic))
      expect(relay.watts).toBeNull()
      const power = nextEvent<[number]>(relay, 'power')
      await device.publish(`tele/${topic}/SENSOR`, {
        Time: '2026-01-01T10:00:00',
        ENERGY: { Total: 12.3, Power: 812, Voltage: 231, Current: 3.5 },
      })
      expect(await power).toEqual([812])
      expect(relay.watts).toBe(812)
    })

    it('ignores malformed payloads with a warning each, and goes on working', async () => {
      const topic = uniqueName('bad')
      const logger = new RecordingLogger()
      const relay = await open(new TasmotaRelay(agent, topic, logger))
      const states = record(relay, 'state')
      const powers = record(relay, 'power')
      const healths = record(relay, 'health')
      const malformed: [string, string][] = [
        [`stat/${topic}/RESULT`, '{not json'],
        [`stat/${topic}/POWER`, 'MAYBE'],
        [`stat/${topic}/RESULT`, '{"POWER":42}'],
        [`tele/${topic}/SENSOR`, '{"ENERGY":{"Power":"lots"}}'],
        [`tele/${topic}/SENSOR`, '[1,2,3]'],
        [`tele/${topic}/LWT`, 'Sleeping'],
        [`tele/${topic}/STATE`, '\u0000\u00ff'],
      ]
      for (const [t, payload] of malformed) {
        const warned = logger.next()
        await device.publish(t, payload)
        expect(await warned).toContain(topic)
      }
      expect(logger.warnings).toHaveLength(malformed.length)
      const power = nextEvent<[number]>(relay, 'power')
      await device.publish(`tele/${topic}/SENSOR`, { ENERGY: { Power: 15 } })
      expect(await power).toEqual([15])
      expect(states).toEqual([])
      expect(powers).toEqual([15])
      expect(healths).toEqual([])
      expect(relay.healthy).toBe(true)
    })

    it('logs a listener that throws instead of crashing, and keeps delivering', async () => {
      const topic = uniqueName('throw')
      const logger = new RecordingLogger()
      const relay = await open(new TasmotaRelay(agent, topic, logger))
      relay.once('state', () => {
        throw new Error('listener bug')
      })
      const warned = logger.next()
      await device.publish(`stat/${topic}/POWER`, 'ON')
      expect(await warned).toMatch(/listener bug/)
      const state = nextEvent<[boolean]>(relay, 'state')
      await device.publish(`stat/${topic}/POWER`, 'OFF')
      expect(await state).toEqual([false])
    })

    it('follows tele/<topic>/LWT: offline refuses commands, online accepts them again', async () => {
      const topic = uniqueName('lwt')
      await device.watch(`cmnd/${topic}/POWER`)
      const relay = await open(new TasmotaRelay(agent, topic))
      expect(relay.healthy).toBe(true)
      const offline = nextEvent<[DeviceHealth]>(relay, 'health')
      await device.publish(`tele/${topic}/LWT`, 'Offline')
      expect((await offline)[0]).toEqual({ ok: false, reason: `Tasmota ${topic} is offline` })
      expect(relay.healthy).toBe(false)
      await expect(relay.set(true)).rejects.toThrow(`Tasmota ${topic} is offline`)
      const online = nextEvent<[DeviceHealth]>(relay, 'health')
      await device.publish(`tele/${topic}/LWT`, 'Online')
      expect((await online)[0]).toEqual({ ok: true })
      // Back online: the relay asks for the state again.
      expect(await device.take(`cmnd/${topic}/POWER`)).toBe('')
      expect(await device.take(`cmnd/${topic}/POWER`)).toBe('')
      await relay.set(true)
      expect(await device.take(`cmnd/${topic}/POWER`)).toBe('ON')
    })

    it('learns a retained LWT Offline when it opens', async () => {
      const topic = uniqueName('retained')
      retained.push(`tele/${topic}/LWT`)
      await device.publish(`tele/${topic}/LWT`, 'Offline', true)
      const relay = new TasmotaRelay(agent, topic)
      const health = nextEvent<[DeviceHealth]>(relay, 'health')
      await open(relay)
      expect((await health)[0].ok).toBe(false)
      // A second device on the same topic learns it too (the topic is already subscribed).
      const reader = new TasmotaReader(agent, topic)
      const readerHealth = nextEvent<[DeviceHealth]>(reader, 'health')
      await open(reader)
      expect((await readerHealth)[0]).toEqual({ ok: false, reason: `Tasmota reader ${topic} is offline` })
    })

    it('stops listening when closed, without deafening another device on the same topics', async () => {
      const shared = uniqueName('shared')
      const closing = await open(new TasmotaRelay(agent, shared))
      const staying = await open(new TasmotaRelay(agent, shared))
      const closedStates = record(closing, 'state')
      await closing.close()
      const state = nextEvent<[boolean]>(staying, 'state')
      await device.publish(`stat/${shared}/POWER`, 'ON')
      expect(await state).toEqual([true])
      expect(closedStates).toEqual([])

      // The last device on a topic unsubscribes it: messages no longer reach the agent.
      const alone = uniqueName('alone')
      const relay = await open(new TasmotaRelay(agent, alone))
      await relay.close()
      const reached: string[] = []
      agent.on('message', (t) => reached.push(t))
      await device.publish(`stat/${alone}/POWER`, 'ON')
      // Barrier: a message published after it, on a topic still subscribed, has arrived.
      const barrier = nextEvent(staying, 'state')
      await device.publish(`stat/${shared}/POWER`, 'OFF')
      await barrier
      expect(reached).toEqual([`stat/${shared}/POWER`])
    })
  })

  describe('Tasmota reader', () => {
    it('turns RDM6300, PN532 and RC522 readings into taps, upper-cased, once per presentation', async () => {
      const topic = uniqueName('reader')
      let t = 0
      const reader = await open(new TasmotaReader(agent, topic, { now: () => t }))
      const taps = record<string>(reader, 'tap')
      const sensor = (body: object) => device.publish(`tele/${topic}/SENSOR`, { Time: '2026-01-01T10:00:00', ...body })
      let tap = nextEvent<[string]>(reader, 'tap')
      await sensor({ RDM6300: { UID: '0012ab34' } })
      expect(await tap).toEqual(['0012AB34'])
      // Tasmota republishes a held card about every 2 s: still the same presentation.
      t += 2000
      await sensor({ RDM6300: { UID: '0012AB34' } })
      tap = nextEvent<[string]>(reader, 'tap')
      await sensor({ PN532: { UID: '04A1B2C3D4E5F6', DATA: '' } })
      expect(await tap).toEqual(['04A1B2C3D4E5F6'])
      tap = nextEvent<[string]>(reader, 'tap')
      await sensor({ RC522: { UID: 'deadbeef', SAK: '08', Type: 'MIFARE 1KB' } })
      expect(await tap).toEqual(['DEADBEEF'])
      t += 3001 // the first card was away long enough
      tap = nextEvent<[string]>(reader, 'tap')
      await sensor({ RDM6300: { UID: '0012AB34' } })
      expect(await tap).toEqual(['0012AB34'])
      expect(taps).toEqual(['0012AB34', '04A1B2C3D4E5F6', 'DEADBEEF', '0012AB34'])
    })

    it('ignores bad readings with a warning, other telemetry silently, and a retained reading', async () => {
      const topic = uniqueName('reader-bad')
      retained.push(`tele/${topic}/SENSOR`)
      await device.publish(`tele/${topic}/SENSOR`, { RDM6300: { UID: '0A0012AB34' } }, true)
      const logger = new RecordingLogger()
      const reader = await open(new TasmotaReader(agent, topic, { logger }))
      const taps = record<string>(reader, 'tap')
      for (const bad of ['{oops', JSON.stringify({ RC522: { UID: 'garbage!' } }), JSON.stringify({ PN532: {} })]) {
        const warned = logger.next()
        await device.publish(`tele/${topic}/SENSOR`, bad)
        await warned
      }
      await device.publish(`tele/${topic}/SENSOR`, { ENERGY: { Power: 3 }, DS18B20: { Temperature: 21 } })
      const tap = nextEvent<[string]>(reader, 'tap')
      await device.publish(`tele/${topic}/SENSOR`, { PN532: { UID: '04A1B2C3' } })
      await tap
      expect(taps).toEqual(['04A1B2C3'])
      expect(logger.warnings).toHaveLength(3)
    })

    it('follows tele/<topic>/LWT', async () => {
      const topic = uniqueName('reader-lwt')
      const reader = await open(new TasmotaReader(agent, topic))
      const offline = nextEvent<[DeviceHealth]>(reader, 'health')
      await device.publish(`tele/${topic}/LWT`, 'Offline')
      expect((await offline)[0].ok).toBe(false)
      expect(reader.healthy).toBe(false)
      const online = nextEvent<[DeviceHealth]>(reader, 'health')
      await device.publish(`tele/${topic}/LWT`, 'Online')
      expect(await online).toEqual([{ ok: true }])
    })
  })

  describe('Shelly Gen2 relay', () => {
    it('sends Switch.Set over RPC to <id>/rpc, with increasing ids and our source', async () => {
      const id = uniqueName('shellyplus1pm')
      const src = uniqueName('agent')
      await device.watch(`${id}/rpc`)
      const relay = await open(new ShellyRelay(agent, id, src))
      expect(relay.kind).toBe('shelly')
      await relay.set(true)
      await relay.set(false)
      expect(JSON.parse(await device.take(`${id}/rpc`))).toEqual({
        id: 1,
        src,
        method: 'Switch.Set',
        params: { id: 0, on: true },
      })
      expect(JSON.parse(await device.take(`${id}/rpc`))).toEqual({
        id: 2,
        src,
        method: 'Switch.Set',
        params: { id: 0, on: false },
      })
    })

    it('follows output and apower from <id>/status/switch:0 and from NotifyStatus on <id>/events/rpc', async () => {
      const id = uniqueName('shellypro1pm')
      const relay = await open(new ShellyRelay(agent, id))
      const state = nextEvent<[boolean]>(relay, 'state')
      const power = nextEvent<[number]>(relay, 'power')
      await device.publish(`${id}/status/switch:0`, {
        id: 0,
        source: 'MQTT',
        output: true,
        apower: 54.2,
        voltage: 230.1,
        aenergy: { total: 10 },
      })
      expect(await state).toEqual([true])
      expect(await power).toEqual([54.2])
      expect([relay.isOn, relay.watts]).toEqual([true, 54.2])

      const notified = nextEvent<[number]>(relay, 'power')
      await device.publish(`${id}/events/rpc`, {
        src: id,
        dst: `${id}/events`,
        method: 'NotifyStatus',
        params: { ts: 1700000000.1, 'switch:0': { id: 0, apower: 812.5 } },
      })
      expect(await notified).toEqual([812.5])
      const off = nextEvent<[boolean]>(relay, 'state')
      await device.publish(`${id}/events/rpc`, {
        src: id,
        method: 'NotifyStatus',
        params: { ts: 1700000001, 'switch:0': { id: 0, output: false, source: 'button' } },
      })
      expect(await off).toEqual([false])
      expect(relay.isOn).toBe(false)
    })

    it('takes the answer to Switch.Set as confirmation, and logs a refusal', async () => {
      const id = uniqueName('shelly-answer')
      const src = uniqueName('agent')
      const logger = new RecordingLogger()
      await device.watch(`${id}/rpc`)
      const relay = await open(new ShellyRelay(agent, id, src, logger))
      const states = record<boolean>(relay, 'state')
      await relay.set(true)
      const request = JSON.parse(await device.take(`${id}/rpc`))
      // An answer for another device with the same source is not ours.
      await device.publish(`${src}/rpc`, { id: request.id, src: 'someone-else', dst: src, result: {} })
      const state = nextEvent<[boolean]>(relay, 'state')
      await device.publish(`${src}/rpc`, { id: request.id, src: id, dst: src, result: { was_on: false } })
      expect(await state).toEqual([true])
      await relay.set(false)
      const refused = JSON.parse(await device.take(`${id}/rpc`))
      const warned = logger.next()
      await device.publish(`${src}/rpc`, {
        id: refused.id,
        src: id,
        dst: src,
        error: { code: -103, message: 'Invalid argument' },
      })
      expect(await warned).toMatch(/refused Switch\.Set: Invalid argument/)
      expect(states).toEqual([true])
      expect(relay.isOn).toBe(true)
    })

    it('follows <id>/online: false refuses commands, true accepts them again', async () => {
      const id = uniqueName('shelly-online')
      const relay = await open(new ShellyRelay(agent, id))
      const offline = nextEvent<[DeviceHealth]>(relay, 'health')
      await device.publish(`${id}/online`, 'false')
      expect((await offline)[0]).toEqual({ ok: false, reason: `Shelly ${id} is offline` })
      await expect(relay.set(true)).rejects.toThrow(/offline/)
      const online = nextEvent<[DeviceHealth]>(relay, 'health')
      await device.publish(`${id}/online`, 'true')
      expect(await online).toEqual([{ ok: true }])
      await relay.set(true)
    })

    it('ignores malformed payloads with a warning each', async () => {
      const id = uniqueName('shelly-bad')
      const logger = new RecordingLogger()
      const relay = await open(new ShellyRelay(agent, id, 'fablab-agent', logger))
      const states = record(relay, 'state')
      const powers = record(relay, 'power')
      const malformed: [string, string][] = [
        [`${id}/status/switch:0`, 'not json'],
        [`${id}/status/switch:0`, '{"output":"yes"}'],
        [`${id}/status/switch:0`, '{"apower":"much"}'],
        [`${id}/events/rpc`, '{"method":"NotifyStatus","params":{"switch:0":7}}'],
        [`${id}/online`, 'maybe'],
      ]
      for (const [t, payload] of malformed) {
        const warned = logger.next()
        await device.publish(t, payload)
        await warned
      }
      const state = nextEvent<[boolean]>(relay, 'state')
      await device.publish(`${id}/status/switch:0`, { id: 0, output: true })
      await state
      expect(logger.warnings).toHaveLength(malformed.length)
      expect(states).toEqual([true])
      expect(powers).toEqual([])
      expect(relay.healthy).toBe(true)
    })

    it('unsubscribes when closed', async () => {
      const id = uniqueName('shelly-close')
      const relay = await open(new ShellyRelay(agent, id))
      await relay.close()
      const reached: string[] = []
      agent.on('message', (t) => reached.push(t))
      await device.publish(`${id}/status/switch:0`, { output: true })
      const barrierTopic = uniqueName('shelly-barrier')
      const barrier = await open(new ShellyRelay(agent, barrierTopic))
      const arrived = nextEvent(barrier, 'state')
      await device.publish(`${barrierTopic}/status/switch:0`, { output: true })
      await arrived
      expect(reached).toEqual([`${barrierTopic}/status/switch:0`])
    })
  })
})
