// RDM6300 / EM4100 125 kHz reader, serial 9600 8N1. Frame: 0x02, 10 ASCII hex data
// characters, 2 ASCII hex checksum characters (XOR of the 5 data bytes), 0x03. The reader
// repeats the frame about every 50 ms while the card stays in the field.
// Layers: SerialLink (transport) → Rdm6300Parser (framing) → Rdm6300Reader (device).
import { EventEmitter } from 'node:events'
import { DEFAULT_ABSENT_MS, TapDebouncer } from './debounce.js'
import { type PortFactory, type RetryOptions, SerialLink } from './serial.js'
import type { BadgeReader, BadgeReaderEvents } from './types.js'

const STX = 0x02
const ETX = 0x03
export const RDM6300_FRAME_LENGTH = 14
const EMPTY = Buffer.alloc(0)

/** Value of an ASCII hex digit, or -1. */
function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30
  if (b >= 0x41 && b <= 0x46) return b - 0x37
  if (b >= 0x61 && b <= 0x66) return b - 0x57
  return -1
}

/** The UID of the frame starting at `at`, or null when its structure or checksum is wrong. */
function frameAt(buf: Buffer, at: number): string | null {
  if (buf[at] !== STX || buf[at + RDM6300_FRAME_LENGTH - 1] !== ETX) return null
  let xor = 0
  for (let k = 0; k < 6; k++) {
    const hi = hexValue(buf[at + 1 + 2 * k]!)
    const lo = hexValue(buf[at + 2 + 2 * k]!)
    if (hi < 0 || lo < 0) return null
    xor ^= (hi << 4) | lo // the 5 data bytes, then the checksum: all XOR to 0 when valid
  }
  if (xor !== 0) return null
  return buf.toString('latin1', at + 1, at + 11).toUpperCase()
}

/**
 * Incremental frame parser: feed it chunks as they come off the wire, get the UIDs of the
 * valid frames in them. Noise, bad checksums and truncated frames are dropped; a frame
 * split across chunks is joined. At most one unfinished frame (13 bytes) is kept.
 */
export class Rdm6300Parser {
  private buffer: Buffer = EMPTY
  /** Candidate frames (an STX) dropped for a bad structure or checksum, for diagnostics. */
  dropped = 0

  push(chunk: Buffer): string[] {
    const uids: string[] = []
    const buf = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk
    let i = buf.indexOf(STX)
    while (i !== -1 && buf.length - i >= RDM6300_FRAME_LENGTH) {
      const uid = frameAt(buf, i)
      if (uid) {
        uids.push(uid)
        i = buf.indexOf(STX, i + RDM6300_FRAME_LENGTH)
      } else {
        this.dropped++
        i = buf.indexOf(STX, i + 1) // resynchronise on the next STX
      }
    }
    // Keep only the start of a frame still arriving (copied: the chunk is not ours).
    this.buffer = i === -1 ? EMPTY : Buffer.from(buf.subarray(i))
    return uids
  }

  /** Bytes kept for a frame still arriving (always fewer than a frame). */
  get buffered() {
    return this.buffer.length
  }

  reset() {
    this.buffer = EMPTY
  }
}

/** Builds a valid frame for a 10-hex-digit UID (simulator, tests, bench). */
export function rdm6300Frame(uid: string): Buffer {
  const hex = uid.toUpperCase()
  if (!/^[0-9A-F]{10}$/.test(hex)) throw new Error(`an RDM6300 UID is 10 hex digits, not "${uid}"`)
  let xor = 0
  for (let k = 0; k < 5; k++) xor ^= Number.parseInt(hex.slice(k * 2, k * 2 + 2), 16)
  const checksum = xor.toString(16).toUpperCase().padStart(2, '0')
  return Buffer.concat([Buffer.from([STX]), Buffer.from(hex + checksum, 'latin1'), Buffer.from([ETX])])
}

export interface SerialReaderOptions extends RetryOptions {
  ports?: PortFactory
  /** A ready debouncer; otherwise one is made from absentMs and now. */
  debounce?: TapDebouncer
  /** A card counts again once absent this long (default 500 ms). */
  absentMs?: number
  now?: () => number
  watchPath?: boolean
}

export class Rdm6300Reader extends EventEmitter<BadgeReaderEvents> implements BadgeReader {
  readonly kind = 'rdm6300'
  readonly link: SerialLink
  readonly parser = new Rdm6300Parser()

  constructor(
    readonly path: string,
    options: SerialReaderOptions = {},
  ) {
    super()
    const debounce = options.debounce ?? new TapDebouncer(options.absentMs ?? DEFAULT_ABSENT_MS, options.now)
    this.link = new SerialLink(path, { ...options, baudRate: 9600 })
    this.link.on('data', (chunk) => {
      for (const uid of this.parser.push(chunk)) if (debounce.seen(uid)) this.emit('tap', uid)
    })
    this.link.on('health', (health) => {
      // Half a frame from before an unplug must not be glued to what comes after.
      this.parser.reset()
      this.emit('health', health)
    })
  }

  get healthy() {
    return this.link.healthy
  }
  open() {
    return this.link.open()
  }
  close() {
    return this.link.close()
  }
  /** The RDM6300 has no LED or buzzer the agent can drive. */
  feedback(_signal: 'granted' | 'denied' | 'warning' | 'off') {}
}
