// Fakes of the two device interfaces, for tests and for the simulator: a reader you tap
// from code, a relay that records every command and reports the watts you give it; both
// can be told to fail and recover.
import { EventEmitter } from 'node:events'
import type { BadgeReader, BadgeReaderEvents, DeviceHealth, Relay, RelayEvents } from './types.js'

type Signal = 'granted' | 'denied' | 'warning' | 'off'

export class FakeReader extends EventEmitter<BadgeReaderEvents> implements BadgeReader {
  readonly kind = 'fake'
  healthy = true
  opened = false
  /** Every feedback signal received, in order. */
  readonly signals: Signal[] = []

  async open() {
    this.opened = true
  }
  async close() {
    this.opened = false
  }
  /** A badge presented to the reader: one tap, its UID upper-cased. */
  tap(uid: string) {
    const normalised = uid.trim().toUpperCase()
    if (!/^[0-9A-F]{2,40}$/.test(normalised)) throw new Error(`a badge UID is hex digits, not "${uid}"`)
    this.emit('tap', normalised)
  }
  feedback(signal: Signal) {
    this.signals.push(signal)
  }
  setHealth(health: DeviceHealth) {
    this.healthy = health.ok
    this.emit('health', health)
  }
  fail(reason = 'fake reader unplugged') {
    this.setHealth({ ok: false, reason })
  }
  recover() {
    this.setHealth({ ok: true })
  }
}

export class FakeRelay extends EventEmitter<RelayEvents> implements Relay {
  readonly kind = 'fake'
  healthy = true
  opened = false
  isOn: boolean | null = null
  watts: number | null = null
  /** Every set() that reached the relay, in order (refused ones are not in it). */
  readonly commands: boolean[] = []

  async open() {
    this.opened = true
  }
  async close() {
    this.opened = false
  }
  async set(on: boolean) {
    if (!this.healthy) throw new Error('fake relay is unhealthy: cannot switch')
    this.commands.push(on)
    this.isOn = on
    this.emit('state', on)
  }
  /** The relay measures this draw from now on. */
  setWatts(watts: number) {
    this.watts = watts
    this.emit('power', watts)
  }
  setHealth(health: DeviceHealth) {
    this.healthy = health.ok
    this.emit('health', health)
  }
  fail(reason = 'fake relay unplugged') {
    this.setHealth({ ok: false, reason })
  }
  recover() {
    this.setHealth({ ok: true })
  }
}
