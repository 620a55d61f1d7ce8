// The server's side of the MQTT contract: reads agents' status and events, stores them
// exactly once, acknowledges, pushes them live to browsers, and sends staff commands.
// With an external broker, several server instances share the work through the
// shared subscription group (MQTT_SHARED_GROUP); every write goes to the database.
import type { FastifyBaseLogger } from 'fastify'
import type { MqttClient } from 'mqtt'
import {
  agentTopic,
  type Command,
  EventEnvelopeSchema,
  parseAgentTopic,
  parsePayload,
  SERVER_ONLINE_TOPIC,
  type Status,
  StatusSchema,
} from '../../protocol/mqtt.js'
import type { Db } from '../db/client.js'
import type { Agent } from '../db/generated/sqlite/client.js'
import type { Live } from '../live.js'
import { type AgentEventEnvelope, type Ingested, ingestBatch } from '../services/ingest.js'

export type AgentCommand = Command

/** Events stored per transaction (from one agent's backlog or many agents), acknowledged together. */
const BATCH = 200
/** How long the first message of a burst waits for others to share its transaction. */
const COALESCE_MS = 10

type Inbound = { slug: string } & ({ leaf: 'events'; data: AgentEventEnvelope } | { leaf: 'status'; data: Status })

export class AgentLink {
  /** Messages received and not yet handled, in arrival order. */
  private inbox: Inbound[] = []
  /** The drain loop, while there are messages to handle. */
  private draining: Promise<void> | null = null
  /** Counts of refused messages, for health and tests. */
  readonly rejected = { tooLarge: 0, malformed: 0, unknownAgent: 0 }

  constructor(
    private db: Db,
    private client: MqttClient,
    private live: Live,
    private log: FastifyBaseLogger,
    sharedGroup: string | null,
    /** Called when stored events changed what agents decide on (a member's credit). */
    private onRightsInputChanged: (spaceId: string) => void = () => {},
  ) {
    const filters = [agentTopic('+', 'status'), agentTopic('+', 'events')].map((t) =>
      sharedGroup ? `$share/${sharedGroup}/${t}` : t,
    )
    const subscribe = () =>
      client.subscribe(filters, { qos: 1 }, (error) => {
        if (error) return log.error({ err: error }, 'agent link: subscribe failed')
        // Listening now: agents may send again what no server received meanwhile.
        client.publish(SERVER_ONLINE_TOPIC, JSON.stringify({ at: new Date().toISOString() }), { qos: 1 })
      })
    if (client.connected) subscribe()
    client.on('connect', subscribe)
    client.on('message', (topic, payload) => this.receive(topic, payload))
  }

  private receive(topic: string, payload: Buffer) {
    const parsed = parseAgentTopic(topic)
    if (!parsed || (parsed.leaf !== 'events' && parsed.leaf !== 'status')) return
    const { agent: agentSlug, leaf } = parsed
    if (leaf === 'status' && payload.length === 0) return // a retained status being cleared
    const result = leaf === 'events' ? parsePayload(EventEnvelopeSchema, payload) : parsePayload(StatusSchema, payload)
    if (!result.ok) {
      if (result.error.startsWith('payload of')) this.rejected.tooLarge++
      else this.rejected.malformed++
      this.log.warn({ topic, problem: result.error }, 'agent link: payload refused')
      return
    }
    this.inbox.push({ slug: agentSlug, leaf, data: result.value } as Inbound)
    // A short wait lets messages arriving together (many agents, a backlog) share one
    // transaction; it does not delay any decision, which agents take locally.
    this.draining ??= new Promise((resolve) => setTimeout(resolve, COALESCE_MS))
      .then(() => this.drain())
      .finally(() => {
        this.draining = null
      })
  }

  /**
   * Handles messages in arrival order: statuses one by one, runs of events (of one agent or
   * many) in batches of up to BATCH per transaction, then acknowledges each agent of the
   * batch. A long backlog is acknowledged as it drains; a thousand agents sending at once
   * share transactions instead of each paying for its own.
   */
  private async drain() {
    while (this.inbox.length > 0) {
      const first = this.inbox[0]!
      try {
        if (first.leaf === 'status') {
          this.inbox.shift()
          // A status is the agent's whole state: a newer one already queued replaces it.
          if (!this.inbox.some((m) => m.leaf === 'status' && m.slug === first.slug))
            await this.onStatus(first.slug, first.data)
          continue
        }
        let n = 0
        while (n < this.inbox.length && n < BATCH && this.inbox[n]!.leaf === 'events') n++
        await this.onEvents(this.inbox.splice(0, n) as Extract<Inbound, { leaf: 'events' }>[])
      } catch (error) {
        // Not acknowledged: the agents send again.
        this.log.error({ err: error }, 'agent link: messages not stored')
      }
    }
  }

  private async agent(slug: string): Promise<Agent | null> {
    const agent = await this.db.agent.findUnique({ where: { slug } })
    if (!agent) {
      this.rejected.unknownAgent++
      this.log.warn({ agent: slug }, 'agent link: unknown agent')
    }
    return agent
  }

  private async onEvents(run: Extract<Inbound, { leaf: 'events' }>[]) {
    const bySlug = new Map<string, AgentEventEnvelope[]>()
    for (const m of run) {
      const list = bySlug.get(m.slug) ?? []
      list.push({ ...m.data, body: m.data.body ?? {} })
      bySlug.set(m.slug, list)
    }
    const agents = await this.db.agent.findMany({ where: { slug: { in: [...bySlug.keys()] } } })
    for (const slug of bySlug.keys()) {
      if (agents.some((a) => a.slug === slug)) continue
      this.rejected.unknownAgent++
      this.log.warn({ agent: slug }, 'agent link: unknown agent')
    }
    const { results, acked } = await ingestBatch(
      this.db,
      agents.map((agent) => ({ agent, events: bySlug.get(agent.slug)! })),
    )
    for (const agent of agents) {
      const seq = acked.get(agent.id)
      if (seq === undefined) continue
      this.client
        .publishAsync(agentTopic(agent.slug, 'acks'), JSON.stringify({ seq }), { qos: 1 })
        .catch((error) => this.log.warn({ err: error }, 'agent link: ack not sent'))
    }
    const spaces = new Set(results.filter((r) => r.creditChanged).map((r) => r.spaceId))
    for (const spaceId of spaces) this.onRightsInputChanged(spaceId)
    for (const r of results) this.project(r.spaceId, r.agentSlug, r.projections)
  }

  /** Pushes what was stored to the browsers of the space. */
  private project(spaceId: string, slug: string, projections: Ingested['projections']) {
    for (const p of projections) {
      switch (p.kind) {
        case 'access':
          this.live.emit(spaceId, 'access.decision', p.data, 'staff')
          break
        case 'session.started':
          this.live.emit(spaceId, 'session.started', p.data, 'staff')
          this.live.emit(spaceId, 'machine.state', { machine: p.data.machine, state: 'in_use', since: p.data.at })
          break
        case 'session.ended':
          this.live.emit(spaceId, 'session.ended', p.data, 'staff')
          this.live.emit(spaceId, 'machine.state', { machine: p.data.machine, state: 'idle', since: p.data.at })
          break
        case 'machine.state':
          this.live.emit(spaceId, 'machine.state', p.data)
          break
        case 'fault':
          this.live.emit(spaceId, 'machine.state', {
            machine: p.data.machine,
            state: p.data.ok ? 'idle' : 'fault',
            since: p.data.at,
            fault: p.data,
          })
          break
        case 'badge.enrolled':
          this.live.emit(spaceId, 'agent.status', { agent: slug, enrolled: p.data }, 'staff')
          break
      }
    }
  }

  private async onStatus(slug: string, status: Status) {
    const agent = await this.agent(slug)
    if (!agent) return
    const now = new Date()
    await this.db.agent.update({
      where: { id: agent.id },
      data: {
        online: status.online,
        lastSeenAt: now,
        version: status.version ?? agent.version,
        heldRightsVersion: status.rightsVersion ?? agent.heldRightsVersion,
        pendingEvents: status.pending ?? agent.pendingEvents,
      },
    })
    // One read of the agent's machines, then writes only where the state or the power
    // changed: an agent reports every machine on each change of one of them.
    const stored = await this.db.machine.findMany({
      where: { agentId: agent.id },
      select: { id: true, slug: true, liveState: true, liveWatts: true },
    })
    const reported = status.online
      ? (status.machines ?? [])
      : stored.map((m) => ({ machine: m.slug, state: 'offline' as const, watts: null }))
    for (const m of reported) {
      const machine = stored.find((s) => s.slug === m.machine)
      if (!machine) continue
      const stateChanged = machine.liveState !== m.state
      const watts = m.watts === undefined ? machine.liveWatts : m.watts
      if (!stateChanged && watts === machine.liveWatts) continue
      await this.db.machine.update({
        where: { id: machine.id },
        data: { liveWatts: watts, ...(stateChanged ? { liveState: m.state, liveSince: now } : {}) },
      })
      if (stateChanged)
        this.live.emit(agent.spaceId, 'machine.state', {
          machine: m.machine,
          state: m.state,
          since: now.toISOString(),
          watts: m.watts ?? null,
        })
    }
    this.live.emit(
      agent.spaceId,
      'agent.status',
      {
        agent: slug,
        online: status.online,
        version: status.version ?? null,
        rightsVersion: status.rightsVersion ?? null,
        at: now.toISOString(),
      },
      'staff',
    )
  }

  async send(agentSlug: string, command: AgentCommand) {
    await this.client.publishAsync(
      agentTopic(agentSlug, 'commands'),
      JSON.stringify({ ...command, at: new Date().toISOString() }),
      { qos: 1 },
    )
  }

  /** Resolves when every message received so far is stored and acknowledged. */
  async idle() {
    while (this.draining) await this.draining
  }
}
