// MQTT devices share the agent's one broker connection. This routes each topic's messages
// to the devices that asked for it, with one listener on the client however many devices
// there are; a topic is unsubscribed only when its last device closes (a Tasmota reader
// and a Tasmota relay may watch the same LWT), and a throwing handler is logged and
// isolated from the others. It also tells devices when the broker connection goes and comes.
import type { IPublishPacket, ISubscriptionMap, MqttClient } from 'mqtt'
import type { DeviceLogger } from './logger.js'
import type { DeviceHealth } from './types.js'

export type MessageHandler = (topic: string, payload: Buffer, packet: IPublishPacket) => void

export interface TopicSubscription {
  /** Settles once the broker acknowledged the subscription (or it failed: logged). */
  ready: Promise<void>
  /** Removes the handler; unsubscribes the topics no one else watches. */
  stop(): Promise<void>
}

/** How long close() and open() wait for the broker's acknowledgement at most. */
const ACK_TIMEOUT_MS = 5000

/** Resolves when `promise` settles or after `ms`, whichever comes first; never rejects. */
export function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    timer.unref()
    promise.then(
      () => {
        clearTimeout(timer)
        resolve()
      },
      () => {
        clearTimeout(timer)
        resolve()
      },
    )
  })
}

type ConnectionListener = (up: boolean) => void

class ClientRouter {
  private handlers = new Map<string, Set<MessageHandler>>()
  private connectionListeners = new Set<ConnectionListener>()
  /** Optimistic until the first connection attempt failed: no fault at every agent start. */
  up: boolean

  constructor(readonly client: MqttClient) {
    this.up = client.connected || !client.reconnecting
    client.on('message', (topic, payload, packet) => {
      const handlers = this.handlers.get(topic)
      if (handlers) for (const handler of [...handlers]) handler(topic, payload, packet)
    })
    client.on('connect', () => this.setUp(true))
    client.on('close', () => this.setUp(false))
  }

  private setUp(up: boolean) {
    if (up === this.up) return
    this.up = up
    for (const listener of [...this.connectionListeners]) listener(up)
  }

  onConnection(listener: ConnectionListener) {
    this.connectionListeners.add(listener)
    return () => this.connectionListeners.delete(listener)
  }

  subscribe(topics: string[], handler: MessageHandler, logger: DeviceLogger): TopicSubscription {
    const safe: MessageHandler = (topic, payload, packet) => {
      try {
        handler(topic, payload, packet)
      } catch (error) {
        logger.warn(`mqtt: handler for ${topic} failed: ${(error as Error).message}`)
      }
    }
    for (const topic of topics) {
      let set = this.handlers.get(topic)
      if (!set) {
        set = new Set()
        this.handlers.set(topic, set)
      }
      set.add(safe)
    }
    // Subscribe even to topics already subscribed: the broker then sends their retained
    // messages (a Tasmota LWT, a Shelly `online`) again, so this device learns them too.
    // mqtt.js skips topics it believes subscribed unless `resubscribe` is set.
    const map = Object.fromEntries(topics.map((t) => [t, { qos: 1 as const }])) as ISubscriptionMap
    map.resubscribe = true
    const ready = this.client.subscribeAsync(map).then(
      (grants) => {
        const refused = grants.filter((g) => g.qos === 128).map((g) => g.topic)
        if (refused.length) logger.warn(`mqtt: the broker refused the subscription to ${refused.join(', ')}`)
      },
      (error: Error) => logger.warn(`mqtt: subscription to ${topics.join(', ')} failed: ${error.message}`),
    )
    let stopped = false
    return {
      ready,
      stop: async () => {
        if (stopped) return
        stopped = true
        const unused: string[] = []
        for (const topic of topics) {
          const set = this.handlers.get(topic)
          set?.delete(safe)
          if (set && set.size === 0) {
            this.handlers.delete(topic)
            unused.push(topic)
          }
        }
        if (!unused.length || this.client.disconnecting || this.client.disconnected) return
        // Offline, mqtt.js queues the unsubscribe until it reconnects: do not wait for that.
        const done = this.client.unsubscribeAsync(unused)
        if (this.client.connected) await settleWithin(done, ACK_TIMEOUT_MS)
        else done.catch(() => {})
      },
    }
  }
}

const routers = new WeakMap<MqttClient, ClientRouter>()

function routerOf(client: MqttClient) {
  let router = routers.get(client)
  if (!router) {
    router = new ClientRouter(client)
    routers.set(client, router)
  }
  return router
}

/** Routes `topics` (exact names, no wildcards) of a shared client to `handler`. */
export function subscribeTopics(
  client: MqttClient,
  topics: string[],
  handler: MessageHandler,
  logger: DeviceLogger,
): TopicSubscription {
  return routerOf(client).subscribe(topics, handler, logger)
}

/**
 * A device's availability: the broker connection and the device's own flag (Tasmota LWT,
 * Shelly `online`). Reports a DeviceHealth when the two together change.
 */
export class MqttAvailability {
  private deviceOnline = true
  private reported = true
  private brokerUp = true
  private unlisten: (() => void) | null = null

  constructor(
    private client: MqttClient,
    private describe: string,
    private report: (health: DeviceHealth) => void,
  ) {}

  get ok() {
    return this.brokerUp && this.deviceOnline
  }
  get broker() {
    return this.brokerUp
  }
  get device() {
    return this.deviceOnline
  }

  start() {
    const router = routerOf(this.client)
    this.unlisten?.()
    this.unlisten = router.onConnection((up) => {
      this.brokerUp = up
      this.update()
    })
    this.brokerUp = router.up
    this.update()
  }

  stop() {
    this.unlisten?.()
    this.unlisten = null
  }

  setDevice(online: boolean) {
    this.deviceOnline = online
    this.update()
  }

  /** Why the device cannot be used now, or null. */
  problem(): string | null {
    if (!this.brokerUp) return `${this.describe}: the MQTT broker connection is down`
    if (!this.deviceOnline) return `${this.describe} is offline`
    return null
  }

  private update() {
    const ok = this.ok
    if (ok === this.reported) return
    this.reported = ok
    this.report(ok ? { ok } : { ok, reason: this.problem() ?? undefined })
  }
}

/** Waits for a subscription while connected (bounded); offline it will happen on connect. */
export async function subscribed(client: MqttClient, subscription: TopicSubscription) {
  if (client.connected) await settleWithin(subscription.ready, ACK_TIMEOUT_MS)
}

/** A JSON object payload, or null (not JSON, or JSON but not an object). */
export function jsonObject(payload: Buffer): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(payload.toString('utf8'))
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null
  } catch {
    return null
  }
}

/** A payload shortened for a log line. */
export const preview = (payload: Buffer | string) => {
  const text = payload.toString().replace(/\s+/g, ' ')
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)
}

/**
 * Publishes a relay command. Refused while the broker or the device is away, with one
 * exception: an OFF is still queued by mqtt.js when the broker is away, so a machine
 * switched off during an outage goes off as soon as the connection is back (an ON is
 * never queued: it would switch a machine on later, out of the blue).
 */
export async function sendRelayCommand(options: {
  client: MqttClient
  availability: MqttAvailability
  describe: string
  topic: string
  payload: string
  on: boolean
  timeoutMs: number
}) {
  const { client, availability, describe, topic, payload, on, timeoutMs } = options
  if (!client.connected) {
    if (!on) client.publishAsync(topic, payload, { qos: 1 }).catch(() => {})
    const queued = on ? '' : '; the OFF command is queued and goes out once connected'
    throw new Error(`${describe}: not connected to the MQTT broker${queued}`)
  }
  if (!availability.device) throw new Error(`${describe} is offline`)
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${describe}: the broker did not acknowledge the command within ${timeoutMs} ms`)),
      timeoutMs,
    )
  })
  try {
    await Promise.race([client.publishAsync(topic, payload, { qos: 1 }), timeout])
  } finally {
    clearTimeout(timer)
  }
}
