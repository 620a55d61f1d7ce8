// The agent: devices, one controller per machine, the durable store, the rights cache,
// and the MQTT link to the server (status with Last Will, events out until acknowledged,
// rights and commands in). It decides locally: the server and the network may be down.
import { EventEmitter } from 'node:events'
import mqtt, { type MqttClient } from 'mqtt'
import {
  AckSchema,
  agentTopic,
  type Command,
  CommandSchema,
  MAX_RIGHTS_PAYLOAD_BYTES,
  parseAgentTopic,
  parsePayload,
  RightsMessageSchema,
  SERVER_ONLINE_TOPIC,
  type Status,
  sendImmediately,
} from '../protocol/mqtt.js'
import { type RightsSnapshot, RightsSnapshotSchema } from '../protocol/rights.js'
import type { AgentConfig } from './core/config.js'
import { MachineController } from './core/machine-controller.js'
import { AgentStore, type AgentStoreOptions } from './core/outbox.js'
import { RightsCache } from './core/rights-cache.js'
import { DeviceFactory, type ReaderConfig, type RelayConfig } from './devices/factory.js'
import type { PortFactory } from './devices/serial.js'
import type { BadgeReader, Relay } from './devices/types.js'

export const AGENT_VERSION = '0.1.0'
/** The least time between two statuses sent for changes (connections and heartbeats go at once). */
export const STATUS_INTERVAL_MS = 250

export interface AgentDeps {
  ports?: PortFactory
  simulate?: boolean
  now?: () => number
  log?: (level: 'info' | 'warn' | 'error', message: string, extra?: object) => void
  /** Seconds between time-rule checks and between status heartbeats. */
  tickMs?: number
  heartbeatMs?: number
  /** Resend what the server has not acknowledged after this long without progress. */
  resendMs?: number
  batchSize?: number
  /** How the outbox flushes its file to disk (tests hold it to see what waits for the disk). */
  syncFile?: AgentStoreOptions['syncFile']
}

export interface AgentEvents {
  rights: [version: number]
  acked: [seq: number]
}

export class Agent extends EventEmitter<AgentEvents> {
  readonly store: AgentStore
  readonly rights: RightsCache
  readonly controllers = new Map<string, MachineController>()
  readonly devices = new Map<string, { reader: BadgeReader; relay: Relay }>()
  mqtt: MqttClient | null = null
  private timers: NodeJS.Timeout[] = []
  private lastSent = 0
  /**
   * Bumped by every "send again from the oldest" (a new connection, the server announcing
   * itself, silence): a batch on its way when one comes must not move lastSent past what
   * was asked to go again. The server announcing itself in the middle of a 10 000-event
   * send went unheard so, and the events sent before it listened waited for resendMs.
   */
  private sendRound = 0
  /** Monotonic time of the last acknowledgement: resending is about real time, not the decision clock. */
  private lastAckAt = 0
  private flushing = false
  private etag: string | null = null
  private stopped = false
  private log: NonNullable<AgentDeps['log']>

  constructor(
    readonly config: AgentConfig,
    private deps: AgentDeps = {},
  ) {
    super()
    this.log =
      deps.log ??
      ((level, message, extra) =>
        console[level === 'info' ? 'log' : level](JSON.stringify({ level, message, ...extra })))
    this.store = new AgentStore(config.dataDir, config.id, {
      syncFile: deps.syncFile,
      onSyncError: (error) =>
        this.log('error', 'outbox not flushed to disk: sending it anyway', { error: error.message }),
      onCheckpointError: (message) =>
        this.log('warn', 'outbox checkpoint failed: tried again later', { error: message }),
    })
    this.rights = new RightsCache(config.dataDir, (config.rightsTtlHours ?? 24) * 3_600_000)
  }

  private now = () => (this.deps.now ?? Date.now)()

  async start() {
    this.rights.load()
    this.mqtt = mqtt.connect(this.config.mqtt, {
      // Aedes speaks MQTT 3.1.1 only; Mosquitto too.
      protocolVersion: 4,
      clientId: `fablab-agent-${this.config.id}`,
      username: this.config.id,
      password: this.config.token,
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: 5000,
      will: {
        topic: agentTopic(this.config.id, 'status'),
        payload: Buffer.from(JSON.stringify({ online: false })),
        qos: 1,
        retain: true,
      },
    })
    sendImmediately(this.mqtt)
    this.mqtt.on('error', (error) => this.log('warn', 'mqtt error', { error: error.message }))
    this.mqtt.on('connect', () => this.onConnect())
    this.mqtt.on('message', (topic, payload) => this.onMessage(topic, payload))

    const factory = new DeviceFactory({
      mqtt: this.mqtt,
      ports: this.deps.ports,
      simulate: this.deps.simulate,
      now: this.deps.now,
      log: (m) => this.log('warn', m),
    })
    for (const m of this.config.machines) {
      const reader = factory.reader(m.reader as ReaderConfig)
      const relay = factory.relay(m.relay as RelayConfig)
      const controller = new MachineController(
        {
          machine: m.machine,
          idleBelowWatts: m.power?.idleBelowWatts,
          idleMinutes: m.power?.idleMinutes ?? 10,
          warningMinutes: 5,
          graceMinutes: 5,
        },
        reader,
        relay,
        this.store,
        () => this.rights.index,
        this.now,
      )
      controller.on('state', () => this.statusChanged())
      // After the relay was switched: the tap's own path to the relay comes first.
      controller.on('decision', () => setImmediate(() => void this.flush()))
      this.controllers.set(m.machine, controller)
      this.devices.set(m.machine, { reader, relay })
    }
    for (const [machine, { reader, relay }] of this.devices) {
      await relay.open().catch((e: Error) => this.log('error', 'relay did not open', { machine, error: e.message }))
      await this.controllers
        .get(machine)!
        .restore()
        .catch((e: Error) => this.log('error', 'relay state not restored', { machine, error: e.message }))
      await reader.open().catch((e: Error) => this.log('error', 'reader did not open', { machine, error: e.message }))
    }
    // Anything recorded (taps, sessions) goes out as soon as it is in the outbox.
    const tick = this.deps.tickMs ?? 1000
    this.timers.push(
      setInterval(() => {
        for (const c of this.controllers.values()) void c.tick().then(() => this.flush())
        this.store.checkpointIfDue()
        // Nothing acknowledged for a while: send again from the oldest.
        if (performance.now() - this.lastAckAt > (this.deps.resendMs ?? 5000)) this.resendUnacknowledged()
      }, tick),
      setInterval(() => this.publishStatus(), this.deps.heartbeatMs ?? 30_000),
    )
    void this.fetchRights()
  }

  private onConnect() {
    const id = this.config.id
    this.sendFromOldest()
    this.mqtt!.subscribe(
      [agentTopic(id, 'acks'), agentTopic(id, 'rights'), agentTopic(id, 'commands'), SERVER_ONLINE_TOPIC],
      { qos: 1 },
      (error) => {
        if (error) this.log('error', 'subscribe failed', { error: error.message })
      },
    )
    this.publishStatus() // at once: it replaces the Last Will's offline status
    void this.flush()
  }

  status(): Status {
    return {
      online: true,
      version: AGENT_VERSION,
      rightsVersion: this.rights.version,
      pending: this.store.count(),
      machines: [...this.controllers.values()].map((c) => ({ machine: c.machine, state: c.state, watts: c.watts })),
    }
  }

  private publishStatus() {
    if (this.statusTimer) clearTimeout(this.statusTimer)
    this.statusTimer = null
    this.lastStatusAt = performance.now()
    if (!this.mqtt?.connected || this.stopped) return
    this.mqtt.publish(agentTopic(this.config.id, 'status'), JSON.stringify(this.status()), { qos: 1, retain: true })
  }

  /**
   * Something the status shows changed: the status goes at once, or, within
   * STATUS_INTERVAL_MS of the last one, once that much time has passed (with what holds
   * then). A lone tap is shown at once; a burst of them (a machine's every start and end
   * also goes to the server as events) costs a few statuses, not two a tap.
   */
  private statusChanged() {
    if (this.statusTimer) return
    const wait = this.lastStatusAt + STATUS_INTERVAL_MS - performance.now()
    if (wait <= 0) return this.publishStatus()
    this.statusTimer = setTimeout(() => this.publishStatus(), wait)
  }
  private statusTimer: NodeJS.Timeout | null = null
  private lastStatusAt = Number.NEGATIVE_INFINITY

  /** Sends everything not acknowledged again, from the oldest. */
  private resendUnacknowledged() {
    if (!this.store.count()) return
    this.sendFromOldest()
    this.lastAckAt = performance.now()
    void this.flush()
  }

  private sendFromOldest() {
    this.lastSent = 0
    this.sendRound++
  }

  /** Sends the outbox in order, in batches, until nothing is left unsent; each event once on disk. */
  async flush() {
    if (this.flushing || !this.mqtt?.connected) return
    this.flushing = true
    try {
      for (;;) {
        await this.store.synced()
        if (this.stopped || !this.mqtt.connected) break
        const round = this.sendRound
        const batch = this.store.sendable(this.deps.batchSize ?? 500, this.lastSent)
        // Nothing on disk left to send: done, unless commits made meanwhile are on their way.
        if (!batch.length && this.store.allOnDisk) break
        if (!batch.length) continue
        if (this.lastSent === 0) this.lastAckAt = performance.now()
        await Promise.all(
          batch.map((e) =>
            this.mqtt!.publishAsync(agentTopic(this.config.id, 'events'), JSON.stringify(e), { qos: 1 }),
          ),
        )
        if (round === this.sendRound) this.lastSent = batch.at(-1)!.seq
      }
    } catch (error) {
      this.log('warn', 'events not sent yet', { error: (error as Error).message })
    } finally {
      this.flushing = false
    }
  }

  private onMessage(topic: string, payload: Buffer) {
    // Messages the client had read before it ended arrive after stop() closed the store:
    // an acknowledgement lost here only means those events are sent again (stored once).
    if (this.stopped) return
    if (topic === SERVER_ONLINE_TOPIC) {
      // A server (re)started behind a broker that stayed up: what it missed, it gets now,
      // not after resendMs without acknowledgement.
      this.resendUnacknowledged()
      return
    }
    const parsed = parseAgentTopic(topic)
    if (!parsed || parsed.agent !== this.config.id) return
    if (parsed.leaf === 'acks') {
      const ack = parsePayload(AckSchema, payload)
      if (!ack.ok) return this.log('warn', 'bad ack refused', { error: ack.error })
      this.store.ack(ack.value.seq)
      this.lastAckAt = performance.now()
      this.emit('acked', ack.value.seq)
      return
    }
    if (parsed.leaf === 'rights') {
      if (!payload.length) return
      const msg = parsePayload(RightsMessageSchema, payload, MAX_RIGHTS_PAYLOAD_BYTES)
      if (!msg.ok) return this.log('warn', 'bad rights message refused', { error: msg.error })
      if (msg.value.version <= this.rights.version) return
      if (msg.value.snapshot) this.acceptRights(msg.value.snapshot)
      else void this.fetchRights()
      return
    }
    if (parsed.leaf === 'commands') {
      const command = parsePayload(CommandSchema, payload)
      if (!command.ok) return this.log('warn', 'bad command refused', { error: command.error })
      void this.run(command.value)
    }
  }

  private acceptRights(snapshot: RightsSnapshot) {
    if (snapshot.version <= this.rights.version) return
    this.rights
      .store(snapshot)
      .catch((error) => this.log('error', 'rights not saved to disk', { error: String(error) }))
    this.log('info', 'rights updated', { version: snapshot.version })
    this.emit('rights', snapshot.version)
    this.statusChanged()
  }

  /** Big snapshots, and the first one at start, come over HTTP(S). */
  async fetchRights() {
    try {
      const res = await fetch(new URL(`/api/v1/agents/${this.config.id}/rights`, this.config.server), {
        headers: { authorization: `Bearer ${this.config.token}`, ...(this.etag ? { 'if-none-match': this.etag } : {}) },
        signal: AbortSignal.timeout(10_000),
      })
      if (res.status === 304) return
      if (!res.ok) return this.log('warn', 'rights not fetched', { status: res.status })
      const data = await res.json()
      const check = parsePayload(RightsSnapshotSchema, JSON.stringify(data), 64 * 1024 * 1024)
      if (!check.ok) return this.log('warn', 'rights snapshot refused', { error: check.error })
      this.etag = res.headers.get('etag')
      this.acceptRights(check.value)
    } catch (error) {
      this.log('warn', 'server unreachable: deciding from the cached rights', {
        error: (error as Error).message,
        version: this.rights.version,
      })
    }
  }

  private async run(command: Command) {
    switch (command.type) {
      case 'unlock':
        await this.controllers.get(command.machine)?.unlock(command.member ?? null, command.by)
        break
      case 'lock':
        await this.controllers.get(command.machine)?.lock()
        break
      case 'identify':
      case 'enrol':
        for (const { reader } of this.devices.values()) reader.feedback('warning')
        break
    }
    await this.flush()
  }

  /** Simulator: a badge presented at a machine's (fake) reader. */
  tap(machine: string, uid: string) {
    const reader = this.devices.get(machine)?.reader as (BadgeReader & { tap?: (uid: string) => void }) | undefined
    if (!reader?.tap) throw new Error(`no simulated reader at ${machine}`)
    reader.tap(uid)
  }

  async stop() {
    this.stopped = true
    for (const t of this.timers) clearInterval(t)
    if (this.statusTimer) clearTimeout(this.statusTimer)
    // Neither a goodbye nor a graceful end may hang a stop: both wait for the broker's
    // acknowledgement, which never comes while it is away (the connection may not know yet).
    // Nothing is lost by giving up: unacknowledged events stay in the outbox.
    const mqtt = this.mqtt
    if (mqtt?.connected) {
      await within(
        1000,
        mqtt
          .publishAsync(agentTopic(this.config.id, 'status'), JSON.stringify({ online: false }), {
            qos: 1,
            retain: true,
          })
          .catch(() => {}),
      )
    }
    for (const { reader, relay } of this.devices.values()) {
      await reader.close().catch(() => {})
      await relay.close().catch(() => {})
    }
    if (
      mqtt &&
      !(await within(
        1000,
        mqtt.endAsync().catch(() => {}),
      ))
    ) {
      await new Promise<void>((resolve) => mqtt.end(true, () => resolve()))
    }
    await this.rights.persisted().catch(() => {})
    this.store.close()
  }
}

/** Resolves true when the promise settles within ms, false otherwise (it is left to run). */
function within(ms: number, promise: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    promise.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}
