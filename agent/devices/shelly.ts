// Shelly Gen2+ relays over MQTT RPC: publish {id}/rpc
// {"id":n,"src":…,"method":"Switch.Set","params":{"id":0,"on":true}}. State and power come
// from {id}/status/switch:0 {"output":true,"apower":12.3,…} ("Generic status update over
// MQTT") and from NotifyStatus on {id}/events/rpc ("RPC status notifications over MQTT");
// the answer to our request comes on {src}/rpc; availability on {id}/online true|false.
import { EventEmitter } from 'node:events'
import type { MqttClient } from 'mqtt'
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
import type { MqttRelayOptions } from './tasmota.js'
import type { Relay, RelayEvents } from './types.js'

export const DEFAULT_SHELLY_SRC = 'fablab-agent'

/** An RPC source usable as one MQTT topic level (answers come on `{src}/rpc`). */
export function shellySrc(name: string | undefined): string {
  const clean = (name ?? '').replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64)
  return clean || DEFAULT_SHELLY_SRC
}

export interface ShellyRelayOptions extends MqttRelayOptions {
  /** The Switch component to drive (default 0). */
  switchId?: number
}

export class ShellyRelay extends EventEmitter<RelayEvents> implements Relay {
  readonly kind = 'shelly'
  isOn: boolean | null = null
  watts: number | null = null
  readonly src: string
  private requestId = 0
  /** Our requests not answered yet: id → the state asked for. */
  private pending = new Map<number, boolean>()
  private sub: TopicSubscription | null = null
  private availability: MqttAvailability
  private logger
  private switchId: number
  private publishTimeoutMs: number

  constructor(
    private client: MqttClient,
    readonly id: string,
    src: string = DEFAULT_SHELLY_SRC,
    logger?: LoggerLike,
    options: ShellyRelayOptions = {},
  ) {
    super()
    this.src = shellySrc(src)
    this.logger = toLogger(logger)
    this.switchId = options.switchId ?? 0
    this.publishTimeoutMs = options.publishTimeoutMs ?? 5000
    this.availability = new MqttAvailability(client, `Shelly ${id}`, (h) => this.emit('health', h))
  }

  get healthy() {
    return this.availability.ok
  }

  private get component() {
    return `switch:${this.switchId}`
  }

  async open() {
    if (this.sub) return
    this.availability.start()
    this.sub = subscribeTopics(
      this.client,
      [`${this.id}/status/${this.component}`, `${this.id}/online`, `${this.id}/events/rpc`, `${this.src}/rpc`],
      (topic, payload) => this.receive(topic, payload),
      this.logger,
    )
    await subscribed(this.client, this.sub)
  }

  private warn(message: string) {
    this.logger.warn(`shelly ${this.id}: ${message}`)
  }

  private receive(topic: string, payload: Buffer) {
    if (topic === `${this.id}/online`) {
      const text = payload.toString('utf8').trim()
      if (text !== 'true' && text !== 'false') return this.warn(`ignored online flag ${preview(text)}`)
      return this.availability.setDevice(text === 'true')
    }
    const data = jsonObject(payload)
    if (!data) return this.warn(`ignored ${topic}: not a JSON object: ${preview(payload)}`)
    if (topic === `${this.src}/rpc`) return this.answer(data)
    if (topic === `${this.id}/events/rpc`) {
      if (data.method !== 'NotifyStatus' && data.method !== 'NotifyFullStatus') return // events, not status
      const status = (data.params as Record<string, unknown> | undefined)?.[this.component]
      if (status !== undefined) this.switchStatus(status, topic)
      return
    }
    this.switchStatus(data, topic)
  }

  private switchStatus(status: unknown, topic: string) {
    if (!status || typeof status !== 'object') return this.warn(`ignored ${topic}: no switch status`)
    const { output, apower } = status as { output?: unknown; apower?: unknown }
    if (output !== undefined) {
      if (typeof output !== 'boolean') this.warn(`ignored ${topic}: output is not a boolean`)
      else {
        this.isOn = output
        this.emit('state', output)
      }
    }
    if (apower !== undefined) {
      if (typeof apower !== 'number' || !Number.isFinite(apower)) this.warn(`ignored ${topic}: apower is not a number`)
      else {
        // A Shelly may read a few negative milliwatts at rest.
        const watts = Math.max(0, apower)
        this.watts = watts
        this.emit('power', watts)
      }
    }
  }

  /** The answer to one of our requests (other relays share the source: filter on ids). */
  private answer(frame: Record<string, unknown>) {
    if (frame.src !== this.id || typeof frame.id !== 'number' || !this.pending.has(frame.id)) return
    const asked = this.pending.get(frame.id)!
    this.pending.delete(frame.id)
    const error = frame.error as { code?: unknown; message?: unknown } | undefined
    if (error) return this.warn(`refused Switch.Set: ${String(error.message ?? error.code ?? 'error')}`)
    // Confirmed even when status notifications are off.
    if (this.isOn !== asked) {
      this.isOn = asked
      this.emit('state', asked)
    }
  }

  /** Publishes Switch.Set; the state follows when the Shelly confirms it. */
  async set(on: boolean) {
    const id = ++this.requestId
    const request = { id, src: this.src, method: 'Switch.Set', params: { id: this.switchId, on } }
    this.pending.set(id, on)
    // Answers that never come (a Shelly without RPC over MQTT) must not pile up.
    for (const old of this.pending.keys()) if (this.pending.size > 16) this.pending.delete(old)
    await sendRelayCommand({
      client: this.client,
      availability: this.availability,
      describe: `Shelly ${this.id}`,
      topic: `${this.id}/rpc`,
      payload: JSON.stringify(request),
      on,
      timeoutMs: this.publishTimeoutMs,
    })
  }

  async close() {
    const sub = this.sub
    this.sub = null
    this.availability.stop()
    this.pending.clear()
    await sub?.stop()
  }
}
