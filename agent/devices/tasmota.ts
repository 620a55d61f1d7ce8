// Tasmota plugs and relays over MQTT (default FullTopic %prefix%/%topic%/):
// cmnd/{topic}/POWER ON|OFF; state on stat/{topic}/POWER, stat/{topic}/RESULT or
// tele/{topic}/STATE {"POWER":"ON"}; power in tele/{topic}/SENSOR {"ENERGY":{"Power":W}};
// availability on tele/{topic}/LWT Online|Offline (retained). Tasmota readers publish
// tele/{topic}/SENSOR {"RDM6300":{"UID":…}} (or PN532, RC522). Bad payloads are logged and
// ignored.
import { EventEmitter } from 'node:events'
import type { IPublishPacket, MqttClient } from 'mqtt'
import { TapDebouncer } from './debounce.js'
import { type LoggerLike, toLogger } from './logger.js'
import {
  jsonObject,
  MqttAvailability,
  preview,
  sendRelayCommand,
  subscribed,
  subscribeTopics,
  type TopicSubscription,
} from './mqtt-router.js'
import type { BadgeReader, BadgeReaderEvents, Relay, RelayEvents } from './types.js'

export interface MqttRelayOptions {
  /** set() fails when the broker has not acknowledged the command within this (default 5000 ms). */
  publishTimeoutMs?: number
}

function lwtOnline(text: string): boolean | null {
  if (text === 'Online') return true
  if (text === 'Offline') return false
  return null
}

export class TasmotaRelay extends EventEmitter<RelayEvents> implements Relay {
  readonly kind = 'tasmota'
  isOn: boolean | null = null
  watts: number | null = null
  private sub: TopicSubscription | null = null
  private availability: MqttAvailability
  private logger
  private publishTimeoutMs: number

  constructor(
    private client: MqttClient,
    readonly topic: string,
    logger?: LoggerLike,
    options: MqttRelayOptions = {},
  ) {
    super()
    this.logger = toLogger(logger)
    this.publishTimeoutMs = options.publishTimeoutMs ?? 5000
    this.availability = new MqttAvailability(client, `Tasmota ${topic}`, (h) => this.emit('health', h))
  }

  get healthy() {
    return this.availability.ok
  }

  async open() {
    if (this.sub) return
    const t = this.topic
    this.availability.start()
    this.sub = subscribeTopics(
      this.client,
      [`stat/${t}/POWER`, `stat/${t}/RESULT`, `tele/${t}/STATE`, `tele/${t}/SENSOR`, `tele/${t}/LWT`],
      (topic, payload) => this.receive(topic, payload),
      this.logger,
    )
    await subscribed(this.client, this.sub)
    this.queryState()
  }

  /** An empty POWER command makes Tasmota publish its current state. */
  private queryState() {
    if (this.client.connected) this.client.publishAsync(`cmnd/${this.topic}/POWER`, '', { qos: 1 }).catch(() => {})
  }

  private warn(message: string) {
    this.logger.warn(`tasmota ${this.topic}: ${message}`)
  }

  private receive(topic: string, payload: Buffer) {
    const kind = topic.slice(topic.lastIndexOf('/') + 1)
    const text = payload.toString('utf8').trim()
    if (kind === 'LWT') {
      const online = lwtOnline(text)
      if (online === null) return this.warn(`ignored LWT ${preview(text)}`)
      const cameBack = online && !this.availability.device
      this.availability.setDevice(online)
      if (cameBack) this.queryState()
      return
    }
    if (kind === 'POWER') return this.powerState(text, topic)
    const data = jsonObject(payload)
    if (!data) return this.warn(`ignored ${topic}: not a JSON object: ${preview(text)}`)
    if (data.POWER !== undefined) this.powerState(data.POWER, topic)
    if (kind === 'SENSOR' && data.ENERGY !== undefined) {
      const power = (data.ENERGY as { Power?: unknown } | null)?.Power
      if (typeof power !== 'number' || !Number.isFinite(power) || power < 0) {
        return this.warn(`ignored ${topic}: ENERGY.Power is not a number of watts`)
      }
      this.watts = power
      this.emit('power', power)
    }
  }

  private powerState(value: unknown, topic: string) {
    const text = typeof value === 'string' ? value.toUpperCase() : ''
    if (text !== 'ON' && text !== 'OFF') return this.warn(`ignored power state ${preview(String(value))} on ${topic}`)
    this.isOn = text === 'ON'
    this.emit('state', this.isOn)
  }

  /** Publishes the command; the state follows when Tasmota confirms it on stat/…. */
  set(on: boolean) {
    return sendRelayCommand({
      client: this.client,
      availability: this.availability,
      describe: `Tasmota ${this.topic}`,
      topic: `cmnd/${this.topic}/POWER`,
      payload: on ? 'ON' : 'OFF',
      on,
      timeoutMs: this.publishTimeoutMs,
    })
  }

  async close() {
    const sub = this.sub
    this.sub = null
    this.availability.stop()
    await sub?.stop()
  }
}

/** Tasmota's card readers, by the key of their SENSOR message. */
const READER_KEYS = ['RDM6300', 'PN532', 'RC522'] as const
/** Tasmota prints whole bytes, but some driver versions drop leading zeros: be lenient. */
const TASMOTA_UID = /^[0-9A-F]{4,20}$/

export interface TasmotaReaderOptions {
  debounce?: TapDebouncer
  /**
   * A card counts again once absent this long. Tasmota's drivers republish a held card
   * about every 2 s (they block reads for ~2 s after each), so the default is 3000 ms.
   */
  absentMs?: number
  now?: () => number
  logger?: LoggerLike
}

export const TASMOTA_ABSENT_MS = 3000

export class TasmotaReader extends EventEmitter<BadgeReaderEvents> implements BadgeReader {
  readonly kind = 'tasmota'
  private sub: TopicSubscription | null = null
  private availability: MqttAvailability
  private debounce: TapDebouncer
  private logger

  constructor(
    private client: MqttClient,
    readonly topic: string,
    options: TasmotaReaderOptions = {},
  ) {
    super()
    this.debounce = options.debounce ?? new TapDebouncer(options.absentMs ?? TASMOTA_ABSENT_MS, options.now)
    this.logger = toLogger(options.logger)
    this.availability = new MqttAvailability(client, `Tasmota reader ${topic}`, (h) => this.emit('health', h))
  }

  get healthy() {
    return this.availability.ok
  }

  async open() {
    if (this.sub) return
    this.availability.start()
    this.sub = subscribeTopics(
      this.client,
      [`tele/${this.topic}/SENSOR`, `tele/${this.topic}/LWT`],
      (topic, payload, packet) => this.receive(topic, payload, packet),
      this.logger,
    )
    await subscribed(this.client, this.sub)
  }

  private warn(message: string) {
    this.logger.warn(`tasmota reader ${this.topic}: ${message}`)
  }

  private receive(topic: string, payload: Buffer, packet: IPublishPacket) {
    if (topic.endsWith('/LWT')) {
      const online = lwtOnline(payload.toString('utf8').trim())
      if (online === null) return this.warn(`ignored LWT ${preview(payload)}`)
      return this.availability.setDevice(online)
    }
    // A retained SENSOR message is an old reading, not a card in the field now.
    if (packet.retain) return
    const data = jsonObject(payload)
    if (!data) return this.warn(`ignored ${topic}: not a JSON object: ${preview(payload)}`)
    const key = READER_KEYS.find((k) => data[k] !== undefined)
    if (!key) return // other telemetry of the same device
    const raw = (data[key] as { UID?: unknown } | null)?.UID
    const uid = typeof raw === 'string' ? raw.trim().toUpperCase() : ''
    if (!TASMOTA_UID.test(uid)) return this.warn(`ignored ${key} reading without a hex UID: ${preview(payload)}`)
    if (this.debounce.seen(uid)) this.emit('tap', uid)
  }

  /** Tasmota readers have no feedback the agent drives. */
  feedback(_signal: 'granted' | 'denied' | 'warning' | 'off') {}

  async close() {
    const sub = this.sub
    this.sub = null
    this.availability.stop()
    await sub?.stop()
  }
}
