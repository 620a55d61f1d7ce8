// The rights snapshot: everything an agent needs to decide taps on its machines alone,
// offline. Made by the server (server/services/rights.ts), cached by the agent.
import { type Static, Type } from 'typebox'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

export const RightsSnapshotSchema = Type.Object({
  version: Type.Integer({ minimum: 0 }),
  hash: Type.String(),
  generatedAt: Type.String({ format: 'date-time' }),
  /** After this, only staff badges work (the agent has not heard from the server for too long). */
  expiresAt: Type.String({ format: 'date-time' }),
  space: Type.Object({
    slug: Type.String(),
    timeZone: Type.String(),
    checkInMinutes: Type.Integer({ minimum: 0 }),
    noShowGraceMinutes: Type.Integer({ minimum: 0 }),
    requireCredit: Type.Boolean(),
    minCreditCents: Type.Integer(),
  }),
  machines: Type.Array(
    Type.Object({
      slug: Type.String(),
      status: Type.String({ description: 'available | out_of_service | to_check' }),
      requiredTrainings: Type.Array(Type.String()),
      walkInAllowed: Type.Boolean(),
      cutPolicy: Type.String({ description: 'immediate | when_idle' }),
      idleThresholdWatts: Nullable(Type.Number()),
      maxSessionMinutes: Nullable(Type.Integer()),
    }),
  ),
  members: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      role: Type.String({ description: 'maker | trainer | staff | admin' }),
      suspended: Type.Boolean(),
      creditCents: Type.Integer(),
      trainings: Type.Array(Type.Object({ slug: Type.String(), expiresAt: Nullable(Type.String()) })),
      badges: Type.Array(Type.String()),
    }),
  ),
  bookings: Type.Array(
    Type.Object({
      id: Type.String(),
      machine: Type.String(),
      memberId: Type.String(),
      start: Type.String(),
      end: Type.String(),
      status: Type.String({ description: 'confirmed | checked_in' }),
    }),
  ),
})

export type RightsSnapshot = Static<typeof RightsSnapshotSchema>
export type RightsContent = Omit<RightsSnapshot, 'version' | 'hash' | 'generatedAt' | 'expiresAt'>
export type SnapshotMember = RightsSnapshot['members'][number]
export type SnapshotMachine = RightsSnapshot['machines'][number]
export type SnapshotBooking = RightsSnapshot['bookings'][number]

/** A snapshot indexed for O(1) badge lookup: decisions stay in microseconds at 10 000 members. */
export interface RightsIndex {
  snapshot: RightsSnapshot
  expiresAt: number
  byBadge: Map<string, SnapshotMember>
  machines: Map<string, SnapshotMachine>
  /** Bookings per machine, sorted by start (ms). */
  bookings: Map<string, (SnapshotBooking & { startMs: number; endMs: number })[]>
}

export function indexRights(snapshot: RightsSnapshot): RightsIndex {
  const byBadge = new Map<string, SnapshotMember>()
  for (const m of snapshot.members) for (const uid of m.badges) byBadge.set(uid.toUpperCase(), m)
  const bookings = new Map<string, (SnapshotBooking & { startMs: number; endMs: number })[]>()
  for (const b of snapshot.bookings) {
    const list = bookings.get(b.machine) ?? []
    list.push({ ...b, startMs: Date.parse(b.start), endMs: Date.parse(b.end) })
    bookings.set(b.machine, list)
  }
  for (const list of bookings.values()) list.sort((a, b) => a.startMs - b.startMs)
  return {
    snapshot,
    expiresAt: Date.parse(snapshot.expiresAt),
    byBadge,
    machines: new Map(snapshot.machines.map((m) => [m.slug, m])),
    bookings,
  }
}
