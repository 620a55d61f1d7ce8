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
import { type AgentEventEnvelope, advanceAck, ingestEvent } from '../services/ingest.js'

export type AgentCommand = Command

/** During a long backlog, acknowledge at least every this many events. */
const ACK_EVERY = 100

export class AgentLink {
  private queues = new Map<string, Promise<void>>()
  /** Events stored per agent since its last acknowledgement: a long backlog is acknowledged as it drains. */
  private sinceAck = new Map<string, number>()
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
    const data = result.value
    // One queue per agent: its events are stored in order, and acknowledged once per burst.
    const previous = this.queues.get(agentSlug) ?? Promise.resolve()
    const next = previous
      .then(() =>
        leaf === 'events'
          ? this.onEvent(agentSlug, data as AgentEventEnvelope)
          : this.onStatus(agentSlug, data as Status),
      )
      .catch((error) => this.log.error({ err: error, topic }, 'agent link: message not stored'))
    this.queues.set(agentSlug, next)
    void next.then(() => {
      const stored = leaf === 'events' ? (this.sinceAck.get(agentSlug) ?? 0) + 1 : 0
      if (leaf === 'events') this.sinceAck.set(agentSlug, stored)
      const burstOver = this.queues.get(agentSlug) === next
      if (burstOver) this.queues.delete(agentSlug)
      // Acknowledge at the end of a burst, and every ACK_EVERY events while a long backlog drains,
      // so the agent can trim its outbox as it goes.
      if (leaf === 'events' && (burstOver || stored >= ACK_EVERY))
        this.acknowledge(agentSlug).catch((error) => this.log.warn({ err: error }, 'agent link: ack not sent'))
    })
  }

  private async agent(slug: string): Promise<Agent | null> {
    const agent = await this.db.agent.findUnique({ where: { slug } })
    if (!agent) {
      this.rejected.unknownAgent++
      this.log.warn({ agent: slug }, 'agent link: unknown agent')
    }
    return agent
  }

  private async onEvent(slug: string, envelope: AgentEventEnvelope) {
    const agent = await this.agent(slug)
    if (!agent) return
    const result = await ingestEvent(this.db, agent, { ...envelope, body: envelope.body ?? {} })
    if (!result) return
    if (result.creditChanged) this.onRightsInputChanged(result.spaceId)
    for (const p of result.projections) {
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
    this.sinceAck.delete(slug)
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
    while (this.queues.size) await Promise.all([...this.queues.values()])
  }
}
