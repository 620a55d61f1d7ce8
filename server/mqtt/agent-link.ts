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
  type Status,
  StatusSchema,
} from '../../protocol/mqtt.js'
import type { Db } from '../db/client.js'
import type { Agent } from '../db/generated/sqlite/client.js'
import type { Live } from '../live.js'
import { type AgentEventEnvelope, advanceAck, ingestEvents } from '../services/ingest.js'

export type AgentCommand = Command

/** Events stored per transaction, and acknowledged together, while a backlog drains. */
const BATCH = 100

type Inbound = { leaf: 'events'; data: AgentEventEnvelope } | { leaf: 'status'; data: Status }

export class AgentLink {
  /** Messages received per agent and not yet handled, in arrival order. */
  private inbox = new Map<string, Inbound[]>()
  /** The running drain loop of each agent with messages in its inbox. */
  private draining = new Map<string, Promise<void>>()
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
        if (error) log.error({ err: error }, 'agent link: subscribe failed')
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
    const item = { leaf, data: result.value } as Inbound
    const queued = this.inbox.get(agentSlug)
    if (queued) {
      queued.push(item) // the agent's drain loop is running: it takes it in order
      return
    }
    this.inbox.set(agentSlug, [item])
    this.draining.set(agentSlug, this.drain(agentSlug))
  }

  /**
   * Handles one agent's messages in order: statuses one by one, consecutive events in
   * batches of up to BATCH per transaction, each batch acknowledged (so a long backlog is
   * acknowledged as it drains, and a burst once at its end).
   */
  private async drain(slug: string) {
    const queue = this.inbox.get(slug)!
    while (queue.length > 0) {
      const first = queue[0]!
      try {
        if (first.leaf === 'status') {
          queue.shift()
          await this.onStatus(slug, first.data)
          continue
        }
        let n = 0
        while (n < queue.length && n < BATCH && queue[n]!.leaf === 'events') n++
        const batch = queue.splice(0, n).map((i) => i.data as AgentEventEnvelope)
        await this.onEvents(slug, batch)
        await this.acknowledge(slug).catch((error) => this.log.warn({ err: error }, 'agent link: ack not sent'))
      } catch (error) {
        // Not acknowledged: the agent sends it again.
        this.log.error({ err: error, agent: slug }, 'agent link: message not stored')
      }
    }
    this.inbox.delete(slug)
    this.draining.delete(slug)
  }

  private async agent(slug: string): Promise<Agent | null> {
    const agent = await this.db.agent.findUnique({ where: { slug } })
    if (!agent) {
      this.rejected.unknownAgent++
      this.log.warn({ agent: slug }, 'agent link: unknown agent')
    }
    return agent
  }

  private async onEvents(slug: string, envelopes: AgentEventEnvelope[]) {
    const agent = await this.agent(slug)
    if (!agent) return
    const results = await ingestEvents(
      this.db,
      agent,
      envelopes.map((e) => ({ ...e, body: e.body ?? {} })),
    )
    if (results.some((r) => r.creditChanged)) this.onRightsInputChanged(agent.spaceId)
    for (const p of results.flatMap((r) => r.projections)) {
      switch (p.kind) {
        case 'access':
          this.live.emit(agent.spaceId, 'access.decision', p.data, 'staff')
          break
        case 'session.started':
          this.live.emit(agent.spaceId, 'session.started', p.data, 'staff')
          this.live.emit(agent.spaceId, 'machine.state', { machine: p.data.machine, state: 'in_use', since: p.data.at })
          break
        case 'session.ended':
          this.live.emit(agent.spaceId, 'session.ended', p.data, 'staff')
          this.live.emit(agent.spaceId, 'machine.state', { machine: p.data.machine, state: 'idle', since: p.data.at })
          break
        case 'machine.state':
          this.live.emit(agent.spaceId, 'machine.state', p.data)
          break
        case 'fault':
          this.live.emit(agent.spaceId, 'machine.state', {
            machine: p.data.machine,
            state: p.data.ok ? 'idle' : 'fault',
            since: p.data.at,
            fault: p.data,
          })
          break
        case 'badge.enrolled':
          this.live.emit(agent.spaceId, 'agent.status', { agent: slug, enrolled: p.data }, 'staff')
          break
      }
    }
  }

  private async acknowledge(slug: string) {
    const agent = await this.db.agent.findUnique({ where: { slug } })
    if (!agent) return
    const seq = await advanceAck(this.db, agent.id)
    await this.client.publishAsync(agentTopic(slug, 'acks'), JSON.stringify({ seq }), { qos: 1 })
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
      },
    })
    const machines = status.online
      ? (status.machines ?? [])
      : (await this.db.machine.findMany({ where: { agentId: agent.id } })).map((m) => ({
          machine: m.slug,
          state: 'offline' as const,
          watts: null,
        }))
    for (const m of machines) {
      const { count } = await this.db.machine.updateMany({
        where: { spaceId: agent.spaceId, slug: m.machine, agentId: agent.id, NOT: { liveState: m.state } },
        data: { liveState: m.state, liveSince: now },
      })
      if (m.watts !== undefined)
        await this.db.machine.updateMany({
          where: { spaceId: agent.spaceId, slug: m.machine, agentId: agent.id },
          data: { liveWatts: m.watts },
        })
      if (count)
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
    while (this.draining.size) await Promise.all([...this.draining.values()])
  }
}
