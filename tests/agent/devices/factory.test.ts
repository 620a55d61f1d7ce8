// Devices picked by config, as agent.yaml shapes them.
import type { MqttClient } from 'mqtt'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  createReader,
  createRelay,
  DeviceFactory,
  type ReaderConfig,
  type RelayConfig,
} from '../../../agent/devices/factory.js'
import { FakeReader, FakeRelay } from '../../../agent/devices/fake.js'
import { LcusRelay } from '../../../agent/devices/lcus.js'
import { LineReader } from '../../../agent/devices/line-reader.js'
import { Rdm6300Reader, rdm6300Frame } from '../../../agent/devices/rdm6300.js'
import { ShellyRelay } from '../../../agent/devices/shelly.js'
import { TasmotaReader, TasmotaRelay } from '../../../agent/devices/tasmota.js'
import type { BadgeReader, Relay } from '../../../agent/devices/types.js'
import { AedesBroker, connectClient, DeviceSide, endClient, uniqueName } from './broker.js'
import { MockBinding, MockPorts, mockDevice } from './mock-ports.js'
import { nextEvent } from './wait.js'

const opened: (BadgeReader | Relay)[] = []
afterEach(async () => {
  for (const d of opened.splice(0)) await d.close()
})
async function open<T extends BadgeReader | Relay>(d: T) {
  opened.push(d)
  await d.open()
  return d
}

let broker: AedesBroker
let mqtt: MqttClient
beforeAll(async () => {
  broker = await new AedesBroker().start()
  mqtt = await connectClient(broker.url, { clientId: 'fablab-agent-demo-pi' })
})
afterAll(async () => {
  await endClient(mqtt)
  await broker.stop()
})

describe('createReader', () => {
  it('makes the driver each reader type names', () => {
    const ports = new MockPorts().factory
    expect(createReader({ type: 'rdm6300', port: '/dev/ttyUSB0' }, { ports })).toBeInstanceOf(Rdm6300Reader)
    expect(createReader({ type: 'line', port: '/dev/ttyACM0' }, { ports })).toBeInstanceOf(LineReader)
    expect(createReader({ type: 'tasmota', topic: 'cnc-reader' }, { mqtt })).toBeInstanceOf(TasmotaReader)
    expect(createReader({ type: 'fake' })).toBeInstanceOf(FakeReader)
  })

  it('makes fakes of everything when simulating', () => {
    const configs: ReaderConfig[] = [
      { type: 'rdm6300', port: '/dev/ttyUSB0' },
      { type: 'tasmota', topic: 'cnc-reader' },
    ]
    for (const config of configs) expect(createReader(config, { simulate: true })).toBeInstanceOf(FakeReader)
  })

  it('refuses configs a driver cannot work with, with a clear message', () => {
    expect(() => createReader({ type: 'tasmota', topic: 'cnc-reader' })).toThrow(/needs the agent's MQTT connection/)
    expect(() => createReader({ type: 'rdm6300', port: '' })).toThrow(/port is required/)
    expect(() => createReader({ type: 'tasmota', topic: 'a/#' }, { mqtt })).toThrow(/topic/)
    expect(() => createReader({ type: 'line', port: '/dev/x', baudRate: -1 })).toThrow(/baudRate/)
    expect(() => createReader({ type: 'nfc' } as unknown as ReaderConfig)).toThrow(/unknown reader type "nfc"/)
  })

  it('opens serial readers on an injected binding (MockBinding)', async () => {
    const path = `/dev/mock-esm-${process.pid}`
    // The mock device sends a frame as soon as it is opened.
    MockBinding.createPort(path, { readyData: rdm6300Frame('0A0012AB34') })
    const reader = createReader({ type: 'rdm6300', port: path }, { serialBinding: MockBinding })
    const tap = nextEvent<[string]>(reader, 'tap')
    await open(reader)
    expect(reader.healthy).toBe(true)
    expect(await tap).toEqual(['0A0012AB34'])
  })

  it('debounces with the injected clock and window', async () => {
    let t = 0
    const ports = new MockPorts()
    const reader = await open(
      createReader(
        { type: 'rdm6300', port: mockDevice('factory-clock') },
        { ports: ports.factory, now: () => t, tapAbsentMs: 100 },
      ),
    )
    const taps: string[] = []
    reader.on('tap', (uid) => taps.push(uid))
    const send = async () => {
      const handled = nextEvent((reader as Rdm6300Reader).link, 'data')
      ports.binding().emitData(rdm6300Frame('0A0012AB34'))
      await handled
    }
    await send()
    t += 90
    await send()
    t += 101
    await send()
    expect(taps).toEqual(['0A0012AB34', '0A0012AB34'])
  })
})

describe('createRelay', () => {
  it('makes the driver each relay type names', () => {
    const ports = new MockPorts().factory
    expect(createRelay({ type: 'lcus', port: '/dev/ttyUSB1', channel: 1 }, { ports })).toBeInstanceOf(LcusRelay)
    expect(createRelay({ type: 'tasmota', topic: 'printer-plug' }, { mqtt })).toBeInstanceOf(TasmotaRelay)
    expect(createRelay({ type: 'shelly', id: 'shellyplus1pm-cnc' }, { mqtt })).toBeInstanceOf(ShellyRelay)
    expect(createRelay({ type: 'fake' })).toBeInstanceOf(FakeRelay)
    expect(createRelay({ type: 'shelly', id: 'x' }, { simulate: true })).toBeInstanceOf(FakeRelay)
  })

  it('refuses configs a driver cannot work with, with a clear message', () => {
    const ports = new MockPorts().factory
    expect(() => createRelay({ type: 'shelly', id: 'x' })).toThrow(/needs the agent's MQTT connection/)
    for (const channel of [0, 9, 1.5]) {
      expect(() => createRelay({ type: 'lcus', port: '/dev/x', channel }, { ports })).toThrow(/channel must be/)
    }
    expect(() => createRelay({ type: 'relayboard' } as unknown as RelayConfig)).toThrow(/unknown relay type/)
  })

  it('gives the channels of one LCUS board one shared port, and other boards their own', async () => {
    const ports = new MockPorts()
    const boardA = mockDevice('board-a', { record: true })
    const boardB = mockDevice('board-b', { record: true })
    const a1 = createRelay({ type: 'lcus', port: boardA, channel: 1 }, { ports: ports.factory }) as LcusRelay
    const a2 = createRelay({ type: 'lcus', port: boardA, channel: 2 }, { ports: ports.factory }) as LcusRelay
    const b1 = createRelay({ type: 'lcus', port: boardB, channel: 1 }, { ports: ports.factory }) as LcusRelay
    expect(a1.board).toBe(a2.board)
    expect(a1.board).not.toBe(b1.board)
    for (const r of [a1, a2, b1]) await open(r)
    expect(ports.attempts).toBe(2)
    await a2.set(true)
    await b1.set(true)
    const byPath = new Map(ports.created.map((p) => [p.path, p.port!.recording]))
    expect([...byPath.get(boardA)!]).toEqual([0xa0, 0x02, 0x01, 0xa3])
    expect([...byPath.get(boardB)!]).toEqual([0xa0, 0x01, 0x01, 0xa2])
  })

  it('gives Shelly relays the MQTT client id as RPC source, unless told otherwise', () => {
    expect((createRelay({ type: 'shelly', id: 's' }, { mqtt }) as ShellyRelay).src).toBe('fablab-agent-demo-pi')
    expect((createRelay({ type: 'shelly', id: 's' }, { mqtt, shellySrc: 'pi/2 #' }) as ShellyRelay).src).toBe('pi-2--')
  })

  it('passes the logger to MQTT devices', async () => {
    const warnings: string[] = []
    const factory = new DeviceFactory({ mqtt, log: (m) => warnings.push(m) })
    const topic = uniqueName('factory-log')
    const relay = await open(factory.relay({ type: 'tasmota', topic }))
    const device = new DeviceSide(await connectClient(broker.url))
    try {
      const state = nextEvent(relay, 'state')
      await device.publish(`stat/${topic}/POWER`, 'SOMETIMES')
      await device.publish(`stat/${topic}/POWER`, 'ON')
      await state
      expect(warnings).toEqual([`tasmota ${topic}: ignored power state "SOMETIMES" on stat/${topic}/POWER`])
    } finally {
      await endClient(device.client)
    }
  })
})
