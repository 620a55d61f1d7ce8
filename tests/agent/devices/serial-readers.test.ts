// The serial readers as devices, on @serialport/binding-mock: bytes in, taps out, one tap
// per presentation on a fake clock, feedback lines out, health when the port goes.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { LineReader } from '../../../agent/devices/line-reader.js'
import { Rdm6300Reader, rdm6300Frame } from '../../../agent/devices/rdm6300.js'
import type { DeviceHealth } from '../../../agent/devices/types.js'
import { MockPorts, mockDevice } from './mock-ports.js'
import { nextEvent, record } from './wait.js'

const ALICE = '0A0012AB34'
const BOB = '0B0056CD78'
const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  vi.useRealTimers()
  for (const close of closers.splice(0)) await close()
})

async function rdm(options: { absentMs?: number } = {}) {
  const ports = new MockPorts()
  const reader = new Rdm6300Reader(mockDevice('rdm'), { ports: ports.factory, ...options })
  closers.push(() => reader.close())
  const taps = record<string>(reader, 'tap')
  await reader.open()
  /** The device sends bytes; resolves once the reader has handled them. */
  const send = async (bytes: Buffer) => {
    const handled = nextEvent(reader.link, 'data')
    ports.binding().emitData(bytes)
    await handled
  }
  return { reader, ports, taps, send }
}

describe('Rdm6300Reader', () => {
  it('reports 9600 baud and turns a frame into a tap', async () => {
    const { reader, ports, taps, send } = await rdm()
    expect(reader.kind).toBe('rdm6300')
    expect(reader.healthy).toBe(true)
    expect(ports.last().baudRate).toBe(9600)
    await send(rdm6300Frame(ALICE))
    expect(taps).toEqual([ALICE])
  })

  it('joins a frame split across reads, and ignores noise and bad frames around it', async () => {
    const { taps, send } = await rdm()
    const frame = rdm6300Frame(BOB)
    const bad = Buffer.from(rdm6300Frame(ALICE))
    bad[12] = bad[12]! ^ 0x01
    await send(Buffer.concat([Buffer.from([0xff, 0x02, 0x13]), bad, frame.subarray(0, 7)]))
    expect(taps).toEqual([])
    await send(Buffer.concat([frame.subarray(7), Buffer.from('\x00\x03garbage')]))
    expect(taps).toEqual([BOB])
  })

  it('counts a card held for 2 s as one tap, and again after it was away for 600 ms', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const { taps, send } = await rdm()
    const frame = rdm6300Frame(ALICE)
    const hold = async (ms: number) => {
      for (let held = 0; held < ms; held += 50) {
        await send(frame)
        vi.advanceTimersByTime(50)
      }
    }
    await hold(2000)
    expect(taps).toEqual([ALICE])
    vi.advanceTimersByTime(400) // lifted briefly: the same presentation
    await hold(500)
    expect(taps).toEqual([ALICE])
    vi.advanceTimersByTime(600)
    await hold(1000)
    expect(taps).toEqual([ALICE, ALICE])
  })

  it('takes a longer absence window when configured', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const { taps, send } = await rdm({ absentMs: 2000 })
    await send(rdm6300Frame(ALICE))
    vi.advanceTimersByTime(1500)
    await send(rdm6300Frame(ALICE))
    expect(taps).toEqual([ALICE])
    vi.advanceTimersByTime(2100)
    await send(rdm6300Frame(ALICE))
    expect(taps).toEqual([ALICE, ALICE])
  })

  it('reports the port going away and coming back', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
    const { reader, ports, taps } = await rdm()
    const lost = nextEvent<[DeviceHealth]>(reader, 'health')
    ports.last().close()
    expect((await lost)[0]).toMatchObject({ ok: false, reason: expect.stringContaining('closed') })
    expect(reader.healthy).toBe(false)
    const back = nextEvent<[DeviceHealth]>(reader, 'health')
    await vi.advanceTimersByTimeAsync(1000)
    expect(await back).toEqual([{ ok: true }])
    const tap = nextEvent<[string]>(reader, 'tap')
    ports.binding().emitData(rdm6300Frame(BOB))
    expect(await tap).toEqual([BOB])
    expect(taps).toEqual([BOB])
  })

  it('ignores feedback: the RDM6300 has no LED or buzzer to drive', async () => {
    const { reader } = await rdm()
    const write = vi.spyOn(reader.link, 'write')
    reader.feedback('granted')
    reader.feedback('denied')
    expect(write).not.toHaveBeenCalled()
  })
})

async function line(baudRate?: number) {
  const ports = new MockPorts()
  const reader = new LineReader(mockDevice('line', { record: true }), { ports: ports.factory, baudRate })
  closers.push(() => reader.close())
  const taps = record<string>(reader, 'tap')
  await reader.open()
  const send = async (text: string) => {
    const handled = nextEvent(reader.link, 'data')
    ports.binding().emitData(Buffer.from(text, 'latin1'))
    await handled
  }
  return { reader, ports, taps, send }
}

describe('LineReader', () => {
  it('opens at 115200 baud unless told otherwise', async () => {
    expect((await line()).ports.last().baudRate).toBe(115200)
    expect((await line(57600)).ports.last().baudRate).toBe(57600)
  })

  it('turns UID lines into taps and drops the rest', async () => {
    const { taps, send } = await line()
    await send('boot v1\r\nUID 04a1b2')
    await send(`c3d4\r\n${'#'.repeat(300)}UID 0B0056CD78\nUID 0B0056CD78x\n`)
    expect(taps).toEqual(['04A1B2C3D4'])
  })

  it('counts a card the sketch repeats every 200 ms as one tap', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const { taps, send } = await line()
    for (let i = 0; i < 15; i++) {
      await send('UID 04A1B2C3\n')
      vi.advanceTimersByTime(200)
    }
    expect(taps).toEqual(['04A1B2C3'])
    vi.advanceTimersByTime(600)
    await send('UID 04A1B2C3\n')
    expect(taps).toEqual(['04A1B2C3', '04A1B2C3'])
  })

  it('sends LED and BEEP lines for feedback', async () => {
    const { reader, ports } = await line()
    const write = vi.spyOn(reader.link, 'write')
    reader.feedback('granted')
    reader.feedback('denied')
    reader.feedback('warning')
    reader.feedback('off')
    // feedback() does not wait for the bytes; its writes resolve once drained.
    await Promise.all(write.mock.results.map((r) => r.value))
    expect(ports.binding().recording.toString('latin1')).toBe('LED green\nBEEP 1\nLED red\nBEEP 3\nBEEP 2\nLED off\n')
  })

  it('drops feedback silently while the reader is unplugged', async () => {
    const { reader, ports } = await line()
    const lost = nextEvent(reader, 'health')
    ports.last().close()
    await lost
    const write = vi.spyOn(reader.link, 'write')
    expect(() => reader.feedback('granted')).not.toThrow()
    // The write is refused; feedback() swallowed the rejection (vitest fails on an unhandled one).
    await expect(write.mock.results[0]!.value).rejects.toThrow(/not open/)
  })
})
