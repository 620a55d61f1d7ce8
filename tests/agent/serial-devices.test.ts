// The serial drivers on real serialport over pseudo-terminals (socat): what the agent
// writes is what the hardware would read; unplugging is noticed and survived.

import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import { TapDebouncer } from '../../agent/devices/debounce.js'
import { LcusBoard, LcusRelay } from '../../agent/devices/lcus.js'
import { LineReader } from '../../agent/devices/line-reader.js'
import { Rdm6300Reader, rdm6300Frame } from '../../agent/devices/rdm6300.js'
import { type PtyPair, ptyPair, write } from '../helpers/pty.js'

const cleanup: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

async function pair(name: string, baud = 9600): Promise<PtyPair> {
  const p = await ptyPair(name, baud)
  cleanup.push(() => p.close())
  return p
}

describe('RDM6300 reader on a serial port', () => {
  it('turns a held card into one tap, and ignores 10 MB of noise', async () => {
    const pty = await pair('rdm')
    let t = 0
    const reader = new Rdm6300Reader(pty.device, { debounce: new TapDebouncer(500, () => t) })
    cleanup.push(() => reader.close())
    const taps: string[] = []
    reader.on('tap', (uid) => taps.push(uid))
    await reader.open()
    expect(reader.healthy).toBe(true)
    const frame = rdm6300Frame('0A0012AB34')
    const first = once(reader, 'tap')
    await write(pty.port, Buffer.concat(Array.from({ length: 20 }, () => frame)))
    await first
    const noise = randomBytes(10 * 1024 * 1024)
    for (let k = 0; k < noise.length; k += 97) noise[k] = 0x02
    await write(pty.port, noise)
    t += 1000
    const after = once(reader, 'tap')
    await write(pty.port, rdm6300Frame('0B0056CD78'))
    expect(await after).toEqual(['0B0056CD78'])
    expect(taps).toEqual(['0A0012AB34', '0B0056CD78'])
  })

  it('reports an unplugged reader within 2 s and reopens it when it is back', async () => {
    const pty = await pair('unplug')
    const reader = new Rdm6300Reader(pty.device, { retryMs: 200 })
    cleanup.push(() => reader.close())
    await reader.open()
    const lost = once(reader, 'health')
    const unpluggedAt = Date.now()
    await pty.unplug()
    const [health] = await lost
    expect(health.ok).toBe(false)
    expect(Date.now() - unpluggedAt).toBeLessThan(2000)
    const back = once(reader, 'health')
    await pty.replug()
    expect((await back)[0]).toEqual({ ok: true })
    const tap = once(reader, 'tap')
    await write(pty.port, rdm6300Frame('0A0012AB34'))
    expect(await tap).toEqual(['0A0012AB34'])
  })
})

describe('line-protocol reader', () => {
  it('reads UID lines and answers with LED and BEEP lines', async () => {
    const pty = await pair('line', 115200)
    const reader = new LineReader(pty.device)
    cleanup.push(() => reader.close())
    await reader.open()
    const tap = once(reader, 'tap')
    await write(pty.port, 'noise\r\nUID 04a1b2c3d4\r\n')
    expect(await tap).toEqual(['04A1B2C3D4'])
    reader.feedback('granted')
    expect((await pty.waitBytes(17)).toString()).toBe('LED green\nBEEP 1\n')
  })
})

describe('LCUS relay board', () => {
  it('writes A0 01 01 A2 to switch channel 1 on, and shares the port between channels', async () => {
    const pty = await pair('lcus')
    const board = new LcusBoard(pty.device)
    const one = new LcusRelay(board, 1)
    const two = new LcusRelay(board, 2)
    cleanup.push(async () => {
      await one.close()
      await two.close()
    })
    await one.open()
    await two.open()
    await one.set(true)
    await two.set(true)
    await one.set(false)
    expect([...(await pty.waitBytes(12))]).toEqual([
      0xa0, 0x01, 0x01, 0xa2, 0xa0, 0x02, 0x01, 0xa3, 0xa0, 0x01, 0x00, 0xa1,
    ])
    expect(one.isOn).toBe(false)
    expect(two.isOn).toBe(true)
  })

  it('refuses to switch while unplugged, with a clear error', async () => {
    const pty = await pair('lcus-gone')
    const relay = new LcusRelay(new LcusBoard(pty.device, undefined, 60_000), 1)
    cleanup.push(() => relay.close())
    await relay.open()
    expect(relay.healthy).toBe(true)
    const lost = once(relay, 'health')
    await pty.unplug()
    await lost
    await expect(relay.set(true)).rejects.toThrow(/not open/)
  })
})
