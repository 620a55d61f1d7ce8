// The two small interfaces every device hides behind. The agent core knows only these;
// drivers (serial, MQTT) and fakes implement them. Picked by config in devices/factory.ts.
import type { EventEmitter } from 'node:events'

/** A fault or recovery of a device, e.g. serial port unplugged, Tasmota LWT Offline. */
export interface DeviceHealth {
  ok: boolean
  /** Human-readable cause, e.g. "serial port /dev/ttyUSB0 closed". */
  reason?: string
}

export interface BadgeReaderEvents {
  /** One presentation of a badge (a held card is one tap). UID upper-case hex. */
  tap: [uid: string]
  health: [health: DeviceHealth]
}

export interface BadgeReader extends EventEmitter<BadgeReaderEvents> {
  readonly kind: string
  open(): Promise<void>
  close(): Promise<void>
  /** Feedback to the person at the machine; readers without LED/buzzer ignore it. */
  feedback(signal: 'granted' | 'denied' | 'warning' | 'off'): void
  readonly healthy: boolean
}

export interface RelayEvents {
  /** State confirmed by the device (or assumed after a write when the device cannot report). */
  state: [on: boolean]
  /** Power draw in watts, where the device measures it. */
  power: [watts: number]
  health: [health: DeviceHealth]
}

export interface Relay extends EventEmitter<RelayEvents> {
  readonly kind: string
  open(): Promise<void>
  close(): Promise<void>
  /** Switch the relay; resolves once the command is written (not necessarily confirmed). */
  set(on: boolean): Promise<void>
  /** Last known state; null before anything is known. */
  readonly isOn: boolean | null
  /** Last measured power in watts; null when the device does not measure. */
  readonly watts: number | null
  readonly healthy: boolean
}
