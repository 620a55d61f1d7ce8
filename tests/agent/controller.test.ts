// One machine's controller with fake devices and a fake clock: decisions, sessions and
// every way a session ends. The store is the real SQLite outbox in a temp folder.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { MachineController, type MachineOptions } from '../../agent/core/machine-controller.js'
import { AgentStore } from '../../agent/core/outbox.js'
import { FakeReader, FakeRelay } from '../../agent/devices/fake.js'
import { indexRights, type RightsSnapshot } from '../../protocol/rights.js'
import { laserCutter, maker, testSnapshot } from '../helpers/rights.js'

const T0 = Date.parse('2026-11-23T10:00:00Z')
const min = 60_000
let dir: string
let store: AgentStore

function rights(bookings: RightsSnapshot['bookings'] = []) {
  return indexRights({
    ...testSnapshot({}, T0),
    expiresAt: new Date(T0 + 7 * 86_400_000).toISOString(), // the tests run days of sessions
    machines: [laserCutter],
    members: [
      maker('alice', 'Alice', '0A0012AB34', { trainings: [{ slug: 'laser', expiresAt: null }] }),
      maker('bob', 'Bob', '0B0056CD78'),
    ],
    bookings,
  })
}

const options: MachineOptions = { machine: 'laser-1', idleMinutes: 10, warningMinutes: 5, graceMinutes: 5 }
function controller(index = rights()) {
  const reader = new FakeReader()
  const relay = new FakeRelay()
  const c = new MachineController(options, reader, relay, store, () => index, Date.now)
  return { c, reader, relay }
}
const events = () =>
  store
    .pending(1000)
    .map(
      (e) =>
        `${e.type}${e.type.startsWith('access.') ? `:${e.body?.reason}` : ''}${e.body?.endCause ? `:${e.body.endCause}` : ''}`,
    )

beforeEach(() => {
  vi.useFakeTimers()
  vi.setSystemTime(T0)
  dir = mkdtempSync(join(tmpdir(), 'fablab-ctl-'))
  store = new AgentStore(dir, 'test-pi')
})
afterEach(() => {
  vi.useRealTimers()
  store.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('machine controller', () => {
  it('never leaves the relay on when the same badge ends a session while switching on is still under way', async () => {
    const { c, relay } = controller()
    await c.restore()
    // A slow relay (a board draining its write, a Tasmota plug confirming): the second tap
    // comes before the first command completed.
    let release = () => {}
    const slowSet = relay.set.bind(relay)
    const switchingOn = new Promise<void>((started) => {
      relay.set = async (on: boolean) => {
        if (on) {
          started()
          await new Promise<void>((resolve) => (release = resolve))
        }
        await slowSet(on)
      }
    })
    const first = c.tap('0A0012AB34')
    await switchingOn
    vi.setSystemTime(T0 + 2000)
    const second = c.tap('0A0012AB34')
    release()
    await Promise.all([first, second])
    expect(c.state).toBe('idle')
    expect(relay.commands).toEqual([false, true, false])
    expect(relay.isOn).toBe(false)
  })

  it('switches on for a trained member, records the decision first, and off on the same badge', async () => {
    const { c, reader, relay } = controller()
    await c.restore()
    const commits = store.commits
    await c.tap('0A0012AB34')
    // One commit on the path of each tap: the decision, the session's start and the session
    // kept; then the tap, the session's end and its removal.
    expect(store.commits - commits).toBe(1)
    expect(relay.commands).toEqual([false, true])
    expect(reader.signals).toEqual(['granted'])
    expect(c.state).toBe('in_use')
    vi.setSystemTime(T0 + 42 * min)
    await c.tap('0A0012AB34')
    expect(store.commits - commits).toBe(2)
    expect(store.session('laser-1')).toBeNull()
    expect(relay.commands).toEqual([false, true, false])
    expect(events()).toEqual([
      'access.granted:walk_in',
      'session.started',
      'access.granted:session_end',
      'session.ended:same_badge',
    ])
    expect(store.pending(10).at(-1)!.body).toMatchObject({ durationSeconds: 42 * 60, memberId: 'alice' })
  })

  it('switches the relay without waiting for the disk, and before the flush is asked for; the tap goes out once its commit is on it', async () => {
    const flushes: (() => void)[] = []
    const relayOnAtFlush: (boolean | null)[] = []
    const slowDisk = new AgentStore(join(dir, 'slow-disk'), 'test-pi', {
      syncFile: (_fd, done) => {
        relayOnAtFlush.push(relay.isOn)
        flushes.push(() => done(null))
      },
    })
    const relay = new FakeRelay()
    const c = new MachineController(options, new FakeReader(), relay, slowDisk, () => rights(), Date.now)
    await c.restore()
    vi.advanceTimersByTime(0) // the restore's flush
    flushes.shift()?.()
    relayOnAtFlush.length = 0
    const commits = slowDisk.commits
    await c.tap('0A0012AB34')
    expect(relay.isOn).toBe(true)
    expect(slowDisk.commits - commits).toBe(1)
    vi.advanceTimersByTime(0) // the turn after the tap's
    // Asked for once the relay had its command: a thread of the pool waking up for the
    // flush does not come before the relay's command on a busy core.
    expect(relayOnAtFlush).toEqual([true])
    expect(flushes).toHaveLength(1) // under way
    expect(slowDisk.pending(10).map((e) => e.type)).toEqual(['access.granted', 'session.started'])
    expect(slowDisk.sendable(10)).toEqual([]) // the server gets nothing a power cut could still take
    const onDisk = slowDisk.synced()
    flushes.shift()!()
    await onDisk
    expect(slowDisk.sendable(10).map((e) => e.type)).toEqual(['access.granted', 'session.started'])
    slowDisk.close()
  })

  it('refuses an untrained member: no power, a denial with its reason, red feedback', async () => {
    const { c, reader, relay } = controller()
    await c.restore()
    await c.tap('0B0056CD78')
    expect(relay.commands).toEqual([false])
    expect(reader.signals).toEqual(['denied'])
    expect(store.pending(10)[0]).toMatchObject({
      type: 'access.denied',
      body: { reason: 'training_missing', training: 'laser', memberId: 'bob' },
    })
  })

  it('warns before the booking ends, then cuts after the grace period', async () => {
    const booking = {
      id: 'b1',
      machine: 'laser-1',
      memberId: 'alice',
      start: new Date(T0).toISOString(),
      end: new Date(T0 + 60 * min).toISOString(),
      status: 'confirmed',
    }
    const { c, reader, relay } = controller(rights([booking]))
    await c.restore()
    await c.tap('0A0012AB34')
    vi.setSystemTime(T0 + 55 * min)
    await c.tick()
    expect(reader.signals).toEqual(['granted', 'warning'])
    vi.setSystemTime(T0 + 64 * min)
    await c.tick()
    expect(relay.isOn).toBe(true)
    vi.setSystemTime(T0 + 65 * min)
    await c.tick()
    expect(relay.isOn).toBe(false)
    expect(events().at(-1)).toBe('session.ended:booking_end')
    expect(store.pending(10)[1]!.body).toMatchObject({ bookingId: 'b1' })
  })

  it('never cuts a when-idle machine while it draws power, and cuts it once idle', async () => {
    const { c, relay } = controller()
    await c.restore()
    await c.tap('0A0012AB34')
    relay.setWatts(850) // the laser is cutting
    vi.setSystemTime(T0 + 20 * min)
    await c.tap('0A0012AB34')
    expect(relay.isOn).toBe(true)
    for (let i = 0; i < 5; i++) {
      vi.setSystemTime(T0 + (21 + i) * min)
      await c.tick()
    }
    expect(relay.isOn).toBe(true)
    vi.setSystemTime(T0 + 30 * min)
    relay.setWatts(12) // job done
    await vi.waitFor(() => expect(relay.isOn).toBe(false))
    const ended = store.pending(10).at(-1)!
    expect(ended.body).toMatchObject({ endCause: 'same_badge', durationSeconds: 30 * 60, busySeconds: 30 * 60 })
  })

  it('ends a session after the idle time measured by power', async () => {
    const { c, relay } = controller()
    await c.restore()
    await c.tap('0A0012AB34')
    relay.setWatts(5)
    vi.setSystemTime(T0 + 9 * min)
    await c.tick()
    expect(relay.isOn).toBe(true)
    vi.setSystemTime(T0 + 10 * min)
    await c.tick()
    expect(relay.isOn).toBe(false)
    expect(events().at(-1)).toBe('session.ended:idle')
  })

  it('after a cut, power comes back only with a new badge decision', async () => {
    const { c, relay } = controller()
    await c.restore()
    await c.tap('0A0012AB34')
    await c.lock()
    for (let i = 1; i <= 30; i++) {
      vi.setSystemTime(T0 + i * min)
      await c.tick()
    }
    expect(relay.commands).toEqual([false, true, false])
  })

  it('blocks new sessions while a device is in fault, and records the fault and the recovery', async () => {
    const { c, reader, relay } = controller()
    await c.restore()
    reader.setHealth({ ok: false, reason: 'serial port /dev/ttyUSB0 closed' })
    expect(c.state).toBe('fault')
    await c.tap('0A0012AB34')
    expect(relay.commands).toEqual([false])
    reader.setHealth({ ok: true })
    expect(c.state).toBe('idle')
    expect(events()).toEqual(['device.fault', 'access.denied:device_fault', 'device.fault'])
  })

  it('records a relay that fails to switch on as a fault and no session', async () => {
    const { c, relay } = controller()
    await c.restore()
    relay.healthy = false
    await c.tap('0A0012AB34')
    expect(events()).toEqual(['access.granted:walk_in', 'session.started', 'device.fault', 'session.ended:fault'])
    expect(c.activeSession).toBeNull()
  })
})

describe('restart', () => {
  it('puts the relay back on for a session still valid, and off for one that is over', async () => {
    const booking = {
      id: 'b1',
      machine: 'laser-1',
      memberId: 'alice',
      start: new Date(T0).toISOString(),
      end: new Date(T0 + 60 * min).toISOString(),
      status: 'confirmed',
    }
    const first = controller(rights([booking]))
    await first.c.restore()
    await first.c.tap('0A0012AB34')
    // The agent restarts 20 minutes later: the booking still runs.
    vi.setSystemTime(T0 + 20 * min)
    const again = controller(rights([booking]))
    await again.c.restore()
    expect(again.relay.commands).toEqual([true])
    expect(again.c.activeSession?.memberId).toBe('alice')
    // Restarted after the booking's end: off, and the session is closed.
    vi.setSystemTime(T0 + 90 * min)
    const late = controller(rights([booking]))
    await late.c.restore()
    expect(late.relay.commands).toEqual([false])
    expect(events().at(-1)).toBe('session.ended:restart')
  })

  it('keeps the relay off at start when no session was recorded', async () => {
    const { c, relay } = controller()
    await c.restore()
    expect(relay.commands).toEqual([false])
  })
})
