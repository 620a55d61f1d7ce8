// The serial devices on real serialport over socat pseudo-terminals: what the hardware
// sends becomes a tap, what the agent writes is what the hardware reads, and unplugging
// (socat killed) is noticed within 2 s and survived.
import { afterEach, describe, expect, it } from 'vitest'
import { createReader, createRelay } from '../../../agent/devices/factory.js'
import { rdm6300Frame } from '../../../agent/devices/rdm6300.js'
import type { BadgeReader, DeviceHealth, Relay } from '../../../agent/devices/types.js'
import { type PtyPair, ptyPair } from './pty.js'
import { nextEvent, record } from './wait.js'

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})
async function pair(name: string, baudRate?: number): Promise<PtyPair> {
  const p = await ptyPair(name, baudRate)
  cleanup.push(() => p.close())
  return p
}
function track<T extends BadgeReader | Relay>(device: T): T {
  cleanup.push(() => device.close())
  return device
}
const fastRetry = { retryMs: 100, maxRetryMs: 200 }

describe('RDM6300 reader over a pseudo-terminal', () => {
  it('turns a frame written by the hardware into a tap', async () => {
    const pty = await pair('rdm')
    const reader = track(createReader({ type: 'rdm6300', port: pty.device }))
    await reader.open()
    expect(reader.healthy).toBe(true)
    const tap = nextEvent<[string]>(reader, 'tap')
    await pty.send(rdm6300Frame('0A0012AB34'))
    expect(await tap).toEqual(['0A0012AB34'])
  })

  it('reads a frame written in two parts with noise around it', async () => {
    const pty = await pair('rdm-split')
    const reader = track(createReader({ type: 'rdm6300', port: pty.device }))
    const taps = record<string>(reader, 'tap')
    await reader.open()
    const frame = rdm6300Frame('0B0056CD78')
    const tap = nextEvent<[string]>(reader, 'tap')
    await pty.send(Buffer.concat([Buffer.from([0x00, 0xff, 0x02, 0x41]), frame.subarray(0, 5)]))
    await pty.send(Buffer.concat([frame.subarray(5), Buffer.from('\r\n\x03')]))
    expect(await tap).toEqual(['0B0056CD78'])
    expect(taps).toEqual(['0B0056CD78'])
  })

  it('reports an unplugged reader within 2 s, then reopens it and reads again once it is back', async () => {
    const pty = await pair('rdm-unplug')
    const reader = track(createReader({ type: 'rdm6300', port: pty.device }, fastRetry))
    await reader.open()
    const lost = nextEvent<[DeviceHealth]>(reader, 'health', { timeoutMs: 2000 })
    const unpluggedAt = Date.now()
    await pty.unplug()
    const [health] = await lost
    expect(health.ok).toBe(false)
    expect(health.reason).toContain(pty.device)
    expect(Date.now() - unpluggedAt).toBeLessThan(2000)
    expect(reader.healthy).toBe(false)
    const back = nextEvent<[DeviceHealth]>(reader, 'health')
    await pty.replug()
    expect(await back).toEqual([{ ok: true }])
    const tap = nextEvent<[string]>(reader, 'tap')
    await pty.send(rdm6300Frame('0A0012AB34'))
    expect(await tap).toEqual(['0A0012AB34'])
  })
})

describe('line-protocol reader over a pseudo-terminal', () => {
  it('reads UID lines and answers feedback with LED and BEEP lines', async () => {
    const pty = await pair('line', 115200)
    const reader = track(createReader({ type: 'line', port: pty.device }))
    await reader.open()
    const tap = nextEvent<[string]>(reader, 'tap')
    await pty.send('noise\r\nUID 04a1b2c3d4\r\n')
    expect(await tap).toEqual(['04A1B2C3D4'])
    reader.feedback('denied')
    expect((await pty.take(15)).toString()).toBe('LED red\nBEEP 3\n')
  })
})

describe('LCUS relay board over a pseudo-terminal', () => {
  it('writes exactly A0 01 01 A2 to switch channel 1 on, and A0 01 00 A1 to switch it off', async () => {
    const pty = await pair('lcus')
    const relay = track(createRelay({ type: 'lcus', port: pty.device, channel: 1 }))
    await relay.open()
    const state = nextEvent<[boolean]>(relay, 'state')
    await relay.set(true)
    expect(await state).toEqual([true])
    expect([...(await pty.take(4))]).toEqual([0xa0, 0x01, 0x01, 0xa2])
    await relay.set(false)
    expect([...(await pty.take(4))]).toEqual([0xa0, 0x01, 0x00, 0xa1])
    expect(relay.isOn).toBe(false)
  })

  it('drives two channels of one board through one port', async () => {
    const pty = await pair('lcus-two')
    // serialport locks the tty: a second open of the same path would fail.
    const one = track(createRelay({ type: 'lcus', port: pty.device, channel: 1 }))
    const two = track(createRelay({ type: 'lcus', port: pty.device, channel: 2 }))
    await one.open()
    await two.open()
    expect([one.healthy, two.healthy]).toEqual([true, true])
    await two.set(true)
    await one.set(true)
    expect([...(await pty.take(8))]).toEqual([0xa0, 0x02, 0x01, 0xa3, 0xa0, 0x01, 0x01, 0xa2])
  })

  it('refuses to switch while unplugged, and switches again once the board is back', async () => {
    const pty = await pair('lcus-unplug')
    const relay = track(createRelay({ type: 'lcus', port: pty.device, channel: 1 }, fastRetry))
    await relay.open()
    const lost = nextEvent<[DeviceHealth]>(relay, 'health', { timeoutMs: 2000 })
    await pty.unplug()
    expect((await lost)[0].ok).toBe(false)
    await expect(relay.set(true)).rejects.toThrow(/not open/)
    const back = nextEvent<[DeviceHealth]>(relay, 'health')
    await pty.replug()
    expect(await back).toEqual([{ ok: true }])
    await relay.set(true)
    expect([...(await pty.take(4))]).toEqual([0xa0, 0x01, 0x01, 0xa2])
  })
})
