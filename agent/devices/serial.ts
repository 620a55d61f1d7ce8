// Transport layer: a serial port that stays open. It reports its health, and when the
// device disappears (unplugged, USB reset) it reopens it with backoff until it is back.
// Framing is the parsers' job (rdm6300.ts, line-reader.ts), meaning the devices'.
import { EventEmitter } from 'node:events'
import { stat } from 'node:fs/promises'
import { SerialPort, SerialPortMock } from 'serialport'
import { linuxBindingOnTheLoop } from './linux-serial.js'
import type { DeviceHealth } from './types.js'

export type SerialPortLike = InstanceType<typeof SerialPort> | InstanceType<typeof SerialPortMock>
/** Makes a port object, not yet open. Tests inject mock or wrapped ports through it. */
export type PortFactory = (options: { path: string; baudRate: number }) => SerialPortLike
/** A serialport binding: the real one, or @serialport/binding-mock's MockBinding. */
export type SerialBinding = typeof SerialPort.binding | typeof SerialPortMock.binding

/** Ports of @serialport/binding-mock (MockBinding.createPort(path) first), for tests. */
export const mockPorts: PortFactory = ({ path, baudRate }) => new SerialPortMock({ path, baudRate, autoOpen: false })

const factories = new WeakMap<SerialBinding, PortFactory>()
/** The port factory of a binding; the same factory each time, so ports can be shared by it. */
export function portsFor(binding: SerialBinding): PortFactory {
  let factory = factories.get(binding)
  if (!factory) {
    factory = ({ path, baudRate }) => {
      // SerialPort's constructor spreads our options over its detected binding, so a
      // binding given here wins (its type leaves `binding` out, hence the variable).
      const options = { path, baudRate, autoOpen: false, binding }
      return new SerialPort(options)
    }
    factories.set(binding, factory)
  }
  return factory
}

/** Real devices: on Linux (a Pi) read and written on the event loop (linux-serial.ts). */
export const realPorts: PortFactory =
  process.platform === 'linux'
    ? portsFor(linuxBindingOnTheLoop)
    : ({ path, baudRate }) => new SerialPort({ path, baudRate, autoOpen: false })

export interface RetryOptions {
  /** Delay before the first reopen attempt, in ms (default 1000). */
  retryMs?: number
  /** The delay doubles after each failed attempt up to this (default 5000). */
  maxRetryMs?: number
}

export interface SerialLinkOptions extends RetryOptions {
  baudRate: number
  ports?: PortFactory
  /**
   * Also check every `watchMs` that the device node still exists. serialport does not
   * always notice a USB adapter that is pulled out on Linux (serialport/node-serialport#2043);
   * udev removes the node and its symlink at once. Default: on for real ports only.
   */
  watchPath?: boolean
  watchMs?: number
  /** A write that has not drained after this long fails (default 2000 ms). */
  writeTimeoutMs?: number
}

export interface SerialLinkEvents {
  data: [chunk: Buffer]
  health: [health: DeviceHealth]
}

const noop = () => {}

export class SerialLink extends EventEmitter<SerialLinkEvents> {
  readonly baudRate: number
  private ports: PortFactory
  private retryMs: number
  private maxRetryMs: number
  private watchMs: number
  private watchPath: boolean
  private writeTimeoutMs: number
  private port: SerialPortLike | null = null
  private retryTimer: NodeJS.Timeout | null = null
  private watchTimer: NodeJS.Timeout | null = null
  /** Between open() and close(): the link wants the port open and keeps trying. */
  private wanted = false
  private opening: Promise<void> | null = null
  private failures = 0
  private reported: boolean | null = null
  private lastReason = ''

  constructor(
    readonly path: string,
    options: SerialLinkOptions,
  ) {
    super()
    this.baudRate = options.baudRate
    this.ports = options.ports ?? realPorts
    this.retryMs = options.retryMs ?? 1000
    this.maxRetryMs = Math.max(this.retryMs, options.maxRetryMs ?? 5000)
    this.watchPath = options.watchPath ?? this.ports === realPorts
    this.watchMs = options.watchMs ?? 1000
    this.writeTimeoutMs = options.writeTimeoutMs ?? 2000
  }

  get healthy() {
    return this.port !== null
  }

  /**
   * Opens the port. When it cannot, reports unhealthy and keeps trying in the background:
   * a reader plugged in after the agent started is picked up. Never rejects.
   */
  async open(): Promise<void> {
    if (this.wanted) return this.opening ?? undefined
    this.wanted = true
    if (this.watchPath) {
      this.watchTimer = setInterval(() => void this.checkPresence(), this.watchMs)
      this.watchTimer.unref()
    }
    await this.attempt()
  }

  private attempt(): Promise<void> {
    if (!this.wanted || this.port) return Promise.resolve()
    this.opening ??= this.openOnce().finally(() => {
      this.opening = null
    })
    return this.opening
  }

  private async openOnce() {
    let port: SerialPortLike
    try {
      port = this.ports({ path: this.path, baudRate: this.baudRate })
    } catch (error) {
      return this.failed(`cannot be opened: ${(error as Error).message}`)
    }
    // An 'error' without a listener would throw out of the event loop: always listen.
    port.on('error', (error: Error) => this.lost(port, `failed: ${error.message}`))
    const error = await new Promise<Error | null>((resolve) => port.open((e) => resolve(e ?? null)))
    if (error) return this.failed(`cannot be opened: ${error.message}`)
    if (!this.wanted) {
      // close() was called while the port was opening.
      port.close(noop)
      return
    }
    this.port = port
    this.failures = 0
    port.on('data', (chunk: Buffer) => this.emit('data', chunk))
    port.on('close', (why?: Error | null) => this.lost(port, why ? `closed: ${why.message}` : 'closed'))
    // A read of 0 bytes (end of file) is how some drivers say the device hung up.
    port.on('end', () => this.lost(port, 'hung up'))
    this.report({ ok: true })
  }

  private async checkPresence() {
    const port = this.port
    if (!port) return
    try {
      await stat(this.path)
    } catch {
      this.lost(port, 'is gone (device node removed)')
    }
  }

  private lost(port: SerialPortLike, why: string) {
    if (this.port !== port) return
    this.port = null
    port.removeAllListeners('data')
    if (port.isOpen) port.close(noop)
    this.failed(why)
  }

  private failed(why: string) {
    if (!this.wanted) return
    this.lastReason = `serial port ${this.path} ${why}`
    this.report({ ok: false, reason: this.lastReason })
    if (this.retryTimer) return
    const delay = Math.min(this.retryMs * 2 ** this.failures, this.maxRetryMs)
    this.failures++
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      void this.attempt()
    }, delay)
  }

  private report(health: DeviceHealth) {
    if (this.reported === health.ok) return
    this.reported = health.ok
    this.emit('health', health)
  }

  /** Writes and waits until the bytes have left for the device. Rejects while unplugged. */
  write(data: Buffer | string): Promise<void> {
    const port = this.port
    if (!port) {
      const why = this.lastReason ? ` (${this.lastReason})` : ''
      return Promise.reject(new Error(`serial port ${this.path} is not open${why}`))
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`serial port ${this.path}: write not drained within ${this.writeTimeoutMs} ms`)),
        this.writeTimeoutMs,
      )
      const done = (error?: Error | null) => {
        clearTimeout(timer)
        if (error) reject(new Error(`serial port ${this.path}: write failed: ${error.message}`))
        else resolve()
      }
      port.write(data, (error) => {
        if (error) return done(error)
        port.drain((drainError) => done(drainError))
      })
    })
  }

  /** Closes the port and stops trying to reopen it. */
  async close(): Promise<void> {
    this.wanted = false
    if (this.retryTimer) clearTimeout(this.retryTimer)
    if (this.watchTimer) clearInterval(this.watchTimer)
    this.retryTimer = this.watchTimer = null
    await this.opening
    this.failures = 0
    this.reported = null
    this.lastReason = ''
    const port = this.port
    this.port = null
    if (!port) return
    port.removeAllListeners('data')
    port.removeAllListeners('close')
    port.removeAllListeners('end')
    if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()))
  }
}
