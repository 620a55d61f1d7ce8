// The transport layer on @serialport/binding-mock: health, reopening with backoff, writes
// refused while the device is away. Backoff timing runs on fake timers.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { SerialLink } from '../../../agent/devices/serial.js'
import type { DeviceHealth } from '../../../agent/devices/types.js'
import { MockBinding, MockPorts, mockDevice } from './mock-ports.js'
import { nextEvent, record } from './wait.js'

const links: SerialLink[] = []
function link(path: string, ports: MockPorts, options: Partial<ConstructorParameters<typeof SerialLink>[1]> = {}) {
  const made = new SerialLink(path, { baudRate: 9600, ports: ports.factory, ...options })
  links.push(made)
  return made
}

afterEach(async () => {
  vi.useRealTimers()
  for (const l of links.splice(0)) await l.close()
})

describe('SerialLink', () => {
  it('opens the port, reports healthy, and passes data on', async () => {
    const ports = new MockPorts()
    const serial = link(mockDevice('open'), ports)
    const health = nextEvent<[DeviceHealth]>(serial, 'health')
    await serial.open()
    expect(await health).toEqual([{ ok: true }])
    expect(serial.healthy).toBe(true)
    const data = nextEvent<[Buffer]>(serial, 'data')
    ports.binding().emitData(Buffer.from('hello'))
    expect((await data)[0].toString()).toBe('hello')
  })

  it('writes and resolves once drained', async () => {
    const ports = new MockPorts()
    const serial = link(mockDevice('write', { record: true }), ports)
    await serial.open()
    await serial.write(Buffer.from([1, 2, 3]))
    expect([...ports.binding().recording]).toEqual([1, 2, 3])
  })

  it('reports a port that cannot be opened, and retries with backoff: 1 s, 2 s, 4 s, then every 5 s', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
    const ports = new MockPorts()
    const path = `/dev/mock-absent-${process.pid}`
    const serial = link(path, ports, { retryMs: 1000, maxRetryMs: 5000 })
    const health = nextEvent<[DeviceHealth]>(serial, 'health')
    await serial.open()
    const [first] = await health
    expect(first.ok).toBe(false)
    expect(first.reason).toContain(path)
    expect(first.reason).toMatch(/cannot be opened/)
    expect(ports.attempts).toBe(1)
    const schedule: [advanceMs: number, attempts: number][] = [
      [999, 1],
      [1, 2],
      [1999, 2],
      [1, 3],
      [3999, 3],
      [1, 4],
      [4999, 4],
      [1, 5],
      [4999, 5],
      [1, 6],
    ]
    for (const [advanceMs, attempts] of schedule) {
      await vi.advanceTimersByTimeAsync(advanceMs)
      expect(ports.attempts, `after ${advanceMs} more ms`).toBe(attempts)
      await ports.settledAttempts(attempts)
    }
    // The device appears: the next attempt opens it.
    MockBinding.createPort(path)
    const back = nextEvent<[DeviceHealth]>(serial, 'health')
    await vi.advanceTimersByTimeAsync(5000)
    expect(await back).toEqual([{ ok: true }])
    expect(ports.attempts).toBe(7)
  })

  it('reports a port closed underneath at once, and reopens it after retryMs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
    const ports = new MockPorts()
    const serial = link(mockDevice('closed'), ports, { retryMs: 1000 })
    await serial.open()
    const lost = nextEvent<[DeviceHealth]>(serial, 'health')
    ports.last().close()
    const [health] = await lost
    expect(health).toMatchObject({ ok: false, reason: expect.stringMatching(/closed/) })
    expect(serial.healthy).toBe(false)
    await expect(serial.write('x')).rejects.toThrow(/is not open \(serial port .* closed\)/)
    const back = nextEvent<[DeviceHealth]>(serial, 'health')
    await vi.advanceTimersByTimeAsync(1000)
    expect(await back).toEqual([{ ok: true }])
    expect(ports.attempts).toBe(2)
  })

  it('treats an error on the port as a loss: reports it and reopens', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
    const ports = new MockPorts()
    const serial = link(mockDevice('error'), ports, { retryMs: 500 })
    await serial.open()
    const lost = nextEvent<[DeviceHealth]>(serial, 'health')
    ports.last().emit('error', new Error('EIO: i/o error'))
    expect((await lost)[0]).toMatchObject({ ok: false, reason: expect.stringMatching(/EIO/) })
    const back = nextEvent<[DeviceHealth]>(serial, 'health')
    await vi.advanceTimersByTimeAsync(500)
    expect(await back).toEqual([{ ok: true }])
  })

  it('reports each change once: no repeated unhealthy reports while retrying', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
    const ports = new MockPorts()
    const serial = link(`/dev/mock-never-${process.pid}`, ports, { retryMs: 100, maxRetryMs: 100 })
    const reports = record<DeviceHealth>(serial, 'health')
    await serial.open()
    for (let n = 2; n <= 10; n++) {
      await vi.advanceTimersByTimeAsync(100)
      await ports.settledAttempts(n)
    }
    expect(reports).toHaveLength(1)
    expect(reports[0]!.ok).toBe(false)
  })

  it('stops retrying once closed', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
    const ports = new MockPorts()
    const serial = link(`/dev/mock-gone-${process.pid}`, ports, { retryMs: 100 })
    await serial.open()
    await serial.close()
    await vi.advanceTimersByTimeAsync(10_000)
    expect(ports.attempts).toBe(1)
  })

  it('closes a port that finished opening after close() was called', async () => {
    const ports = new MockPorts()
    const path = mockDevice('race')
    const serial = link(path, ports)
    const reports = record<DeviceHealth>(serial, 'health')
    const opening = serial.open()
    const closing = serial.close()
    await Promise.all([opening, closing])
    expect(serial.healthy).toBe(false)
    expect(reports).toEqual([])
    expect(ports.last().isOpen).toBe(false)
    // The mock binding locks an open port: opening it again proves it was released.
    const again = link(path, new MockPorts())
    await again.open()
    expect(again.healthy).toBe(true)
  })

  it('notices a device node that disappears, even when the port says nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fablab-node-'))
    try {
      const path = join(dir, 'ttyUSB0')
      writeFileSync(path, '')
      MockBinding.createPort(path)
      const ports = new MockPorts()
      const serial = link(path, ports, { watchPath: true, watchMs: 50, retryMs: 60_000 })
      await serial.open()
      const lost = nextEvent<[DeviceHealth]>(serial, 'health', { timeoutMs: 2000 })
      rmSync(path)
      expect((await lost)[0]).toMatchObject({ ok: false, reason: expect.stringMatching(/gone/) })
      expect(ports.last().isOpen).toBe(false)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('rejects a write that does not drain in time', async () => {
    const ports = new MockPorts()
    const serial = link(mockDevice('stuck'), ports, { writeTimeoutMs: 50 })
    await serial.open()
    ports.last().drain = () => {} // a device that never takes the bytes
    await expect(serial.write('x')).rejects.toThrow(/not drained within 50 ms/)
  })
})
