// Tasmota and Shelly devices against a real broker (Aedes here; Mosquitto in CI's broker
// suite), with the test playing the device's side of the conversation.
import { once } from 'node:events'
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ShellyRelay } from '../../agent/devices/shelly.js'
import { TasmotaReader, TasmotaRelay } from '../../agent/devices/tasmota.js'
import { connectClient, startTestBroker, type TestBroker } from '../helpers/broker.js'

let broker: TestBroker
let agentClient: MqttClient
let device: MqttClient
// Unique per run: MQTT_TEST_URL may be a shared Mosquitto.
const p = `t${process.pid}`

beforeAll(async () => {
  broker = await startTestBroker()
  agentClient = await connectClient(broker.url)
  device = await connectClient(broker.url)
})
afterAll(async () => {
  agentClient.end(true)
  device.end(true)
  await broker.close()
})

/** The device side: answers every command on `topic` with `answer`. */
async function respond(topic: string, answer: (payload: string) => [string, string]) {
  device.on('message', (t, payload) => {
    if (t !== topic) return
    const [replyTopic, reply] = answer(payload.toString())
    device.publish(replyTopic, reply, { qos: 1 })
  })
  await device.subscribeAsync(topic, { qos: 1 })
}

describe('Tasmota relay', () => {
  it('sends cmnd/<topic>/POWER and follows the state Tasmota confirms', async () => {
    const topic = `${p}-plug`
    await respond(`cmnd/${topic}/POWER`, (cmd) => [`stat/${topic}/RESULT`, JSON.stringify({ POWER: cmd })])
    const relay = new TasmotaRelay(agentClient, topic)
    await relay.open()
    const on = once(relay, 'state')
    await relay.set(true)
    expect(await on).toEqual([true])
    expect(relay.isOn).toBe(true)
    const off = once(relay, 'state')
    await relay.set(false)
    expect(await off).toEqual([false])
    await relay.close()
  })

  it('reads the power from tele SENSOR, ignores malformed payloads, and follows LWT', async () => {
    const topic = `${p}-laser`
    const warnings: string[] = []
    const relay = new TasmotaRelay(agentClient, topic, (m) => warnings.push(m))
    await relay.open()
    const power = once(relay, 'power')
    await device.publishAsync(`tele/${topic}/SENSOR`, '{not json', { qos: 1 })
    await device.publishAsync(`stat/${topic}/POWER`, 'MAYBE', { qos: 1 })
    await device.publishAsync(
      `tele/${topic}/SENSOR`,
      JSON.stringify({ Time: 'x', ENERGY: { Power: 812, Voltage: 230 } }),
      { qos: 1 },
    )
    expect(await power).toEqual([812])
    expect(warnings).toHaveLength(2)
    const offline = once(relay, 'health')
    await device.publishAsync(`tele/${topic}/LWT`, 'Offline', { qos: 1, retain: false })
    expect((await offline)[0]).toMatchObject({ ok: false })
    await expect(relay.set(true)).rejects.toThrow(/offline/)
    const online = once(relay, 'health')
    await device.publishAsync(`tele/${topic}/LWT`, 'Online', { qos: 1 })
    expect((await online)[0]).toEqual({ ok: true })
    await relay.close()
  })
})

describe('Tasmota reader', () => {
  it('turns RDM6300, PN532 and RC522 sensor messages into taps, once per presentation', async () => {
    const topic = `${p}-reader`
    const reader = new TasmotaReader(agentClient, topic)
    await reader.open()
    const taps: string[] = []
    reader.on('tap', (uid) => taps.push(uid))
    const sensor = (body: object) =>
      device.publishAsync(`tele/${topic}/SENSOR`, JSON.stringify({ Time: 't', ...body }), { qos: 1 })
    await sensor({ RDM6300: { UID: '0a0012ab34' } })
    await sensor({ RDM6300: { UID: '0a0012ab34' } })
    await sensor({ PN532: { UID: '04A1B2C3', DATA: '' } })
    await sensor({ RC522: { UID: 'garbage!' } })
    const last = once(reader, 'tap')
    await sensor({ RC522: { UID: 'DEADBEEF' } })
    await last
    expect(taps).toEqual(['0A0012AB34', '04A1B2C3', 'DEADBEEF'])
    await reader.close()
  })
})

describe('Shelly Gen2 relay', () => {
  it('sends Switch.Set over RPC and reads output and apower from status/switch:0', async () => {
    const id = `${p}-shellyplus1pm`
    const requests: { method: string; params: { id: number; on: boolean } }[] = []
    await respond(`${id}/rpc`, (payload) => {
      const req = JSON.parse(payload)
      requests.push(req)
      return [
        `${id}/status/switch:0`,
        JSON.stringify({ id: 0, output: req.params.on, apower: req.params.on ? 54.2 : 0 }),
      ]
    })
    const relay = new ShellyRelay(agentClient, id, 'agent-test')
    await relay.open()
    const state = once(relay, 'state')
    const power = once(relay, 'power')
    await relay.set(true)
    expect(await state).toEqual([true])
    expect(await power).toEqual([54.2])
    expect(requests[0]).toMatchObject({ src: 'agent-test', method: 'Switch.Set', params: { id: 0, on: true } })
    const offline = once(relay, 'health')
    await device.publishAsync(`${id}/online`, 'false', { qos: 1 })
    expect((await offline)[0]).toMatchObject({ ok: false })
    await relay.close()
  })
})
