// Our Arduino/ESP32 sketch with an RC522 or PN532 (firmware-config/arduino), 115200 baud:
// it sends lines `UID <hex>` (repeated about every 200 ms while the card is held); we
// answer `LED green|red|off` and `BEEP <n>` lines for feedback.
// Layers: SerialLink (transport) → LineParser (framing) → LineReader (device).
import { EventEmitter } from 'node:events'
import { DEFAULT_ABSENT_MS, TapDebouncer } from './debounce.js'
import type { SerialReaderOptions } from './rdm6300.js'
import { SerialLink } from './serial.js'
import type { BadgeReader, BadgeReaderEvents } from './types.js'

/** Longer lines are garbage (a UID line is at most 24 characters). */
export const MAX_LINE = 64
/** 4, 7 or 10-byte ISO 14443 UIDs, 5-byte EM4100 IDs: 8 to 20 hex digits, whole bytes. */
const UID_LINE = /^UID ((?:[0-9A-Fa-f]{2}){4,10})$/

/**
 * Incremental line parser: feed it chunks, get the UIDs of complete `UID <hex>` lines,
 * upper-cased. Other lines are dropped; an over-long line is dropped whole, up to its end
 * (its tail is never mistaken for a line of its own). Memory: at most MAX_LINE characters.
 */
export class LineParser {
  private pending = ''
  /** Inside an over-long line: everything up to the next newline is ignored. */
  private discarding = false
  /** Lines dropped (garbage, over-long), for diagnostics. */
  dropped = 0

  push(chunk: Buffer): string[] {
    const uids: string[] = []
    const text = chunk.toString('latin1')
    let start = 0
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const piece = text.slice(start, nl)
      start = nl + 1
      if (this.discarding) {
        this.discarding = false
        continue
      }
      const line = this.pending + piece
      this.pending = ''
      if (line.length > MAX_LINE) {
        this.dropped++
        continue
      }
      const trimmed = line.trim()
      if (!trimmed) continue
      const match = UID_LINE.exec(trimmed)
      if (match) uids.push(match[1]!.toUpperCase())
      else this.dropped++
    }
    if (!this.discarding) {
      this.pending += text.slice(start)
      if (this.pending.length > MAX_LINE) {
        this.pending = ''
        this.discarding = true
        this.dropped++
      }
    }
    return uids
  }

  /** Characters kept for a line still arriving (at most MAX_LINE). */
  get buffered() {
    return this.pending.length
  }

  reset() {
    this.pending = ''
    this.discarding = false
  }
}

/** What the sketch is told for each feedback signal. */
export const FEEDBACK_LINES: Record<'granted' | 'denied' | 'warning' | 'off', string> = {
  granted: 'LED green\nBEEP 1\n',
  denied: 'LED red\nBEEP 3\n',
  warning: 'BEEP 2\n',
  off: 'LED off\n',
}

export interface LineReaderOptions extends SerialReaderOptions {
  baudRate?: number
}

export class LineReader extends EventEmitter<BadgeReaderEvents> implements BadgeReader {
  readonly kind = 'line'
  readonly link: SerialLink
  readonly parser = new LineParser()

  constructor(
    readonly path: string,
    options: LineReaderOptions = {},
  ) {
    super()
    const debounce = options.debounce ?? new TapDebouncer(options.absentMs ?? DEFAULT_ABSENT_MS, options.now)
    this.link = new SerialLink(path, { ...options, baudRate: options.baudRate ?? 115200 })
    this.link.on('data', (chunk) => {
      for (const uid of this.parser.push(chunk)) if (debounce.seen(uid)) this.emit('tap', uid)
    })
    this.link.on('health', (health) => {
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
  feedback(signal: 'granted' | 'denied' | 'warning' | 'off') {
    // Best effort: a reader that went away must not stop a decision.
    this.link.write(FEEDBACK_LINES[signal]).catch(() => {})
  }
}
