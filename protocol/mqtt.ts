// The MQTT contract, version 1: topics and payloads between agents and the server.
// One definition for both sides (../shared/DESIGN.md "MQTT contract").
import { type Static, type TSchema, Type } from 'typebox'
import { Value } from 'typebox/value'
import { RightsSnapshotSchema } from './rights.js'

export const PREFIX = 'fablab/v1/agents'
export type AgentLeaf = 'status' | 'events' | 'acks' | 'rights' | 'commands'
export const agentTopic = (agent: string, leaf: AgentLeaf) => `${PREFIX}/${agent}/${leaf}`

/**
 * The server says it (re)connected to the broker (QoS 1, not retained): agents then send
 * again what it has not acknowledged. Behind a broker that outlives the server (Mosquitto),
 * events published while no server listened are gone from the broker, not from the outbox.
 */
export const SERVER_ONLINE_TOPIC = 'fablab/v1/server/online'

/** Parses fablab/v1/agents/{agent}/{leaf}; null for any other topic. */
export function parseAgentTopic(topic: string): { agent: string; leaf: AgentLeaf } | null {
  const parts = topic.split('/')
  if (parts.length !== 5 || `${parts[0]}/${parts[1]}/${parts[2]}` !== PREFIX) return null
  const leaf = parts[4] as AgentLeaf
  if (!['status', 'events', 'acks', 'rights', 'commands'].includes(leaf) || !parts[3]) return null
  return { agent: parts[3], leaf }
}

/** Payloads larger than this are refused before parsing (rights snapshots travel by HTTPS). */
export const MAX_PAYLOAD_BYTES = 64 * 1024
export const MAX_RIGHTS_PAYLOAD_BYTES = 256 * 1024

export const EVENT_TYPES = [
  'access.granted',
  'access.denied',
  'session.started',
  'session.ended',
  'machine.state',
  'device.fault',
] as const
export type EventType = (typeof EVENT_TYPES)[number]
export const MACHINE_STATES = ['idle', 'in_use', 'offline', 'fault'] as const
export type MachineState = (typeof MACHINE_STATES)[number]

export const EventEnvelopeSchema = Type.Object({
  /** Unique: the server stores an event once by this id. */
  id: Type.String({ minLength: 1, maxLength: 128 }),
  /** Increasing per agent, from 1, without gaps: acknowledgements are by sequence. */
  seq: Type.Integer({ minimum: 1 }),
  type: Type.String({ minLength: 1, maxLength: 64 }),
  at: Type.String({ format: 'date-time' }),
  machine: Type.Optional(Type.String({ maxLength: 64 })),
  body: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
})
export type EventEnvelope = Static<typeof EventEnvelopeSchema>

export const StatusSchema = Type.Object({
  online: Type.Boolean(),
  version: Type.Optional(Type.String({ maxLength: 64 })),
  rightsVersion: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Events recorded but not yet acknowledged. */
  pending: Type.Optional(Type.Integer({ minimum: 0 })),
  machines: Type.Optional(
    Type.Array(
      Type.Object({
        machine: Type.String({ maxLength: 64 }),
        state: Type.Union([
          Type.Literal('idle'),
          Type.Literal('in_use'),
          Type.Literal('offline'),
          Type.Literal('fault'),
        ]),
        watts: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
      }),
      { maxItems: 64 },
    ),
  ),
})
export type Status = Static<typeof StatusSchema>

export const AckSchema = Type.Object({ seq: Type.Integer({ minimum: 0 }) })
export type Ack = Static<typeof AckSchema>

/** Retained on …/rights: the version, and the snapshot itself when small enough. */
export const RightsMessageSchema = Type.Object({
  version: Type.Integer({ minimum: 0 }),
  hash: Type.String(),
  url: Type.String(),
  snapshot: Type.Optional(RightsSnapshotSchema),
})
export type RightsMessage = Static<typeof RightsMessageSchema>

export const CommandSchema = Type.Union([
  Type.Object({
    type: Type.Literal('unlock'),
    machine: Type.String(),
    member: Type.Optional(Type.String()),
    by: Type.String(),
    at: Type.Optional(Type.String()),
  }),
  Type.Object({
    type: Type.Literal('lock'),
    machine: Type.String(),
    by: Type.String(),
    at: Type.Optional(Type.String()),
  }),
  Type.Object({ type: Type.Literal('identify'), by: Type.String(), at: Type.Optional(Type.String()) }),
  Type.Object({
    type: Type.Literal('enrol'),
    member: Type.String(),
    until: Type.String(),
    by: Type.String(),
    at: Type.Optional(Type.String()),
  }),
])
export type Command = Static<typeof CommandSchema>

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string }

/** Size check, JSON parse and schema check; never throws. */
export function parsePayload<S extends TSchema>(
  schema: S,
  payload: Buffer | string,
  maxBytes = MAX_PAYLOAD_BYTES,
): Parsed<Static<S>> {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length
  if (size > maxBytes) return { ok: false, error: `payload of ${size} bytes exceeds ${maxBytes}` }
  let data: unknown
  try {
    data = JSON.parse(payload.toString())
  } catch {
    return { ok: false, error: 'payload is not JSON' }
  }
  if (!Value.Check(schema, data)) {
    const first = [...Value.Errors(schema, data)][0]
    return {
      ok: false,
      error: first ? `${first.instancePath || '/'} ${first.message}` : 'payload does not match the schema',
    }
  }
  return { ok: true, value: data as Static<S> }
}

/**
 * Small MQTT packets must not wait for Nagle's algorithm (up to 40 ms with delayed ACKs):
 * a tap, an acknowledgement or a revocation goes out at once. Both sides call this.
 */
export function sendImmediately(client: { on(event: 'connect', listener: () => void): unknown; stream?: unknown }) {
  client.on('connect', () => {
    const socket = client.stream as { setNoDelay?: (noDelay: boolean) => void } | undefined
    socket?.setNoDelay?.(true)
  })
}
