// LCUS-type USB relay boards (CH340), serial 9600 8N1: 4 bytes per command,
// 0xA0, channel, state (0/1), (0xA0 + channel + state) & 0xFF. The board does not answer:
// a relay's state is the last command written, reported once the bytes have drained.
// Several channels share one board, so one serial port: LcusBoard is that port.
import { EventEmitter } from 'node:events'
import { type PortFactory, type RetryOptions, realPorts, SerialLink, type SerialLinkOptions } from './serial.js'
import type { Relay, RelayEvents } from './types.js'

/** LCUS boards come with 1, 2, 4 or 8 relays. */
export const LCUS_MAX_CHANNEL = 8

export function lcusCommand(channel: number, on: boolean): Buffer {
  if (!Number.isInteger(channel) || channel < 1 || channel > 0xff) {
    throw new RangeError(`LCUS channel must be an integer from 1, not ${channel}`)
  }
  const state = on ? 1 : 0
  return Buffer.from([0xa0, channel, state, (0xa0 + channel + state) & 0xff])
}

export type LcusBoardOptions = RetryOptions & Pick<SerialLinkOptions, 'watchPath' | 'writeTimeoutMs'>

/** One board, one serial port, opened while at least one of its relays is open. */
export class LcusBoard {
  readonly link: SerialLink
  private users = 0

  constructor(
    readonly path: string,
    ports: PortFactory = realPorts,
    options: LcusBoardOptions | number = {},
  ) {
    const retry = typeof options === 'number' ? { retryMs: options } : options
    this.link = new SerialLink(path, { ...retry, baudRate: 9600, ports })
    // Every relay of the board listens to its health.
    this.link.setMaxListeners(LCUS_MAX_CHANNEL * 2 + 2)
  }

  async acquire() {
    if (this.users++ === 0) await this.link.open()
  }
  async release() {
    if (this.users === 0) return
    if (--this.users === 0) await this.link.close()
  }
}

const boards = new WeakMap<PortFactory, Map<string, LcusBoard>>()

/**
 * The board at `path` for these ports, made on first use and kept: relays of the same
 * board share it (opening the port twice would fail, serialport locks it). The first
 * caller's retry options are the board's.
 */
export function sharedLcusBoard(path: string, ports: PortFactory = realPorts, options: LcusBoardOptions = {}) {
  let byPath = boards.get(ports)
  if (!byPath) {
    byPath = new Map()
    boards.set(ports, byPath)
  }
  let board = byPath.get(path)
  if (!board) {
    board = new LcusBoard(path, ports, options)
    byPath.set(path, board)
  }
  return board
}

export class LcusRelay extends EventEmitter<RelayEvents> implements Relay {
  readonly kind = 'lcus'
  /** Last command written; null before the first one and after the board was lost (it may have reset). */
  isOn: boolean | null = null
  readonly watts = null
  private opened = false

  constructor(
    readonly board: LcusBoard,
    readonly channel: number,
  ) {
    super()
    if (!Number.isInteger(channel) || channel < 1 || channel > LCUS_MAX_CHANNEL) {
      throw new RangeError(`LCUS relay on ${board.path}: channel must be 1 to ${LCUS_MAX_CHANNEL}, not ${channel}`)
    }
    board.link.on('health', (health) => {
      if (!health.ok) this.isOn = null
      this.emit('health', health)
    })
  }

  get healthy() {
    return this.board.link.healthy
  }
  async open() {
    if (this.opened) return
    this.opened = true
    await this.board.acquire()
  }
  async close() {
    if (!this.opened) return
    this.opened = false
    await this.board.release()
  }
  async set(on: boolean) {
    try {
      await this.board.link.write(lcusCommand(this.channel, on))
    } catch (error) {
      throw new Error(`LCUS relay channel ${this.channel}: ${(error as Error).message}`)
    }
    this.isOn = on
    this.emit('state', on)
  }
}
