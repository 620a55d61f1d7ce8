// Brokers for the MQTT device tests: an in-process Aedes on an ephemeral port (always), and
// the broker named by MQTT_TEST_URL (e.g. a real Mosquitto) when that is set. Topics get
// a random prefix per test, so parallel runs on a shared broker do not collide.
import { randomBytes } from 'node:crypto'
import { createServer, type Server, type Socket } from 'node:net'
import { Aedes } from 'aedes'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'

export interface TestBroker {
  url: string
  close(): Promise<void>
}

/** An Aedes broker that can be stopped and started again on the same port (an outage). */
export class AedesBroker implements TestBroker {
  aedes: Aedes | null = null
  private server: Server | null = null
  private sockets = new Set<Socket>()
  port = 0

  get url() {
    return `mqtt://127.0.0.1:${this.port}`
  }

  async start(onCreate?: (aedes: Aedes) => void) {
    const aedes = await Aedes.createBroker()
    onCreate?.(aedes)
    const server = createServer((socket) => {
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
      aedes.handle(socket)
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.port, '127.0.0.1', () => resolve())
    })
    const address = server.address()
    if (address && typeof address === 'object') this.port = address.port
    this.aedes = aedes
    this.server = server
    return this
  }

  /** Drops every connection and stops listening. */
  async stop() {
    const { aedes, server } = this
    this.aedes = this.server = null
    for (const socket of this.sockets) socket.destroy()
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()))
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()))
  }

  close() {
    return this.stop()
  }
}

export interface BrokerKind {
  name: string
  start(): Promise<TestBroker>
}

export const brokerKinds: BrokerKind[] = [
  { name: 'aedes', start: () => new AedesBroker().start() },
  ...(process.env.MQTT_TEST_URL
    ? [{ name: `MQTT_TEST_URL`, start: async () => ({ url: process.env.MQTT_TEST_URL!, close: async () => {} }) }]
    : []),
]

/** Connects an MQTT 3.1.1 client (Aedes speaks nothing newer) and waits for CONNACK. */
export async function connectClient(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  const client = mqtt.connect(url, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    clientId: `fablab-test-${randomBytes(4).toString('hex')}`,
    ...options,
  })
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve())
    client.once('error', reject)
  })
  return client
}

export async function endClient(client: MqttClient) {
  await client.endAsync(true).catch(() => {})
}

/** A fresh topic prefix: one MQTT level, unique per call. */
export const uniqueName = (label: string) => `t${randomBytes(5).toString('hex')}-${label}`

/**
 * The device side of a test: records what the agent publishes on some topics and publishes
 * what the device would.
 */
export class DeviceSide {
  readonly messages: { topic: string; payload: string }[] = []
  private waiters: (() => void)[] = []

  constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload) => {
      this.messages.push({ topic, payload: payload.toString() })
      for (const w of [...this.waiters]) w()
    })
  }

  async watch(...topics: string[]) {
    await this.client.subscribeAsync(topics, { qos: 1 })
  }

  publish(topic: string, payload: string | object, retain = false) {
    const text = typeof payload === 'string' ? payload : JSON.stringify(payload)
    return this.client.publishAsync(topic, text, { qos: 1, retain })
  }

  /** The next message on `topic` not yet taken (in order), within timeoutMs. */
  take(topic: string, timeoutMs = 5000): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const i = this.messages.findIndex((m) => m.topic === topic)
        if (i === -1) return false
        const [m] = this.messages.splice(i, 1)
        this.waiters = this.waiters.filter((w) => w !== check)
        clearTimeout(timer)
        resolve(m!.payload)
        return true
      }
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check)
        reject(new Error(`nothing on ${topic} within ${timeoutMs} ms`))
      }, timeoutMs)
      if (!check()) this.waiters.push(check)
    })
  }
}
