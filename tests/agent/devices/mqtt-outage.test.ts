// MQTT devices when the broker goes away: reported as a fault, ON refused, OFF delivered
// once the broker is back, opening and closing never hang. Needs a broker the test can
// stop and start on the same port, so the in-process Aedes only.
import { EventEmitter } from 'node:events'
import mqtt, { type MqttClient } from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { ShellyRelay } from '../../../agent/devices/shelly.js'
import { TasmotaRelay } from '../../../agent/devices/tasmota.js'
import type { DeviceHealth, Relay } from '../../../agent/devices/types.js'
import { AedesBroker, connectClient, DeviceSide, endClient, uniqueName } from './broker.js'
import { nextEvent, within } from './wait.js'

const cleanup: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

async function broker() {
  const b = await new AedesBroker().start()
  cleanup.push(() => b.stop())
  return b
}
function track<T extends MqttClient | Relay>(thing: T): T {
  cleanup.push(() => ('end' in thing ? endClient(thing) : thing.close()))
  return thing
}

describe('MQTT devices during a broker outage', () => {
  it('report the outage, refuse ON, and send a refused OFF once the broker is back', async () => {
    const aedes = await broker()
    const agent = track(await connectClient(aedes.url, { reconnectPeriod: 100 }))
    const topic = uniqueName('plug')
    const tasmota = track(new TasmotaRelay(agent, topic))
    const shelly = track(new ShellyRelay(agent, uniqueName('shelly')))
    await tasmota.open()
    await shelly.open()

    const lost = nextEvent<[DeviceHealth]>(tasmota, 'health')
    const shellyLost = nextEvent<[DeviceHealth]>(shelly, 'health')
    await aedes.stop()
    expect((await lost)[0]).toEqual({ ok: false, reason: `Tasmota ${topic}: the MQTT broker connection is down` })
    expect((await shellyLost)[0].ok).toBe(false)
    expect(tasmota.healthy).toBe(false)
    await expect(tasmota.set(true)).rejects.toThrow(/not connected to the MQTT broker$/)
    await expect(shelly.set(true)).rejects.toThrow(/not connected to the MQTT broker$/)
    await expect(tasmota.set(false)).rejects.toThrow(/the OFF command is queued/)

    const commands: string[] = []
    const arrivals = new EventEmitter()
    const back = nextEvent<[DeviceHealth]>(tasmota, 'health')
    await aedes.start((broker) =>
      broker.on('publish', (packet, client) => {
        if (client && packet.topic === `cmnd/${topic}/POWER`) {
          commands.push(packet.payload.toString())
          arrivals.emit('command')
        }
      }),
    )
    expect(await back).toEqual([{ ok: true }])
    // A command sent now goes after the queued one, on the same connection; the ON never went.
    await tasmota.set(false)
    while (commands.length < 2) await nextEvent(arrivals, 'command')
    expect(commands).toEqual(['OFF', 'OFF'])
  })

  it('open without waiting for an unreachable broker, and subscribe once it is reachable', async () => {
    const aedes = await broker()
    await aedes.stop() // keeps the port number: nothing listens there now
    const agent = track(mqtt.connect(aedes.url, { protocolVersion: 4, reconnectPeriod: 100, connectTimeout: 1000 }))
    const topic = uniqueName('late')
    const relay = track(new TasmotaRelay(agent, topic))
    const down = nextEvent<[DeviceHealth]>(relay, 'health')
    await within(relay.open(), 1000, 'open() while the broker is unreachable')
    expect((await down)[0].ok).toBe(false)

    const up = nextEvent<[DeviceHealth]>(relay, 'health')
    await aedes.start()
    expect(await up).toEqual([{ ok: true }])
    // Retained, so it reaches the relay whether its subscription lands before or after.
    const device = new DeviceSide(track(await connectClient(aedes.url)))
    const state = nextEvent<[boolean]>(relay, 'state')
    await device.publish(`stat/${topic}/POWER`, 'ON', true)
    expect(await state).toEqual([true])
  })

  it('close without waiting for a broker that is gone', async () => {
    const aedes = await broker()
    const agent = track(await connectClient(aedes.url, { reconnectPeriod: 100 }))
    const relay = new TasmotaRelay(agent, uniqueName('gone'))
    await relay.open()
    const lost = nextEvent(relay, 'health')
    await aedes.stop()
    await lost
    await within(relay.close(), 1000, 'close() while the broker is gone')
  })
})
