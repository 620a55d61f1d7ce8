// Stores what agents report, exactly once. Every event is first written as an AgentEvent
// keyed by its id (a replay or a QoS 1 duplicate finds the row and changes nothing);
// in the same transaction it is projected into the usage log (access events, sessions)
// and the machines' live state. The agent is then acknowledged up to the highest
// sequence stored with no gap below it, so it never drops an event the server lacks.

import { randomUUID } from 'node:crypto'
import { type ChargeLookups, chargeLookups, chargeOf } from '../billing/charges.js'
import { type Db, isUniqueViolation, type Tx } from '../db/client.js'
import { type Agent, type Machine, Prisma, type UsageSession } from '../db/generated/sqlite/client.js'

export interface AgentEventEnvelope {
  id: string
  seq: number
  type: string
  at: string
  machine?: string
  body: Record<string, unknown>
}

/** What happened, for live pushes; null for a duplicate. */
export interface Ingested {
  event: AgentEventEnvelope
  spaceId: string
  agentSlug: string
  /** A session was debited in a space that requires prepaid credit: its agents need new rights. */
  creditChanged: boolean
  projections: {
    kind: 'access' | 'session.started' | 'session.ended' | 'machine.state' | 'fault' | 'badge.enrolled'
    data: Record<string, unknown>
  }[]
}

const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined)
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined)

export async function ingestEvent(db: Db, agent: Agent, event: AgentEventEnvelope): Promise<Ingested | null> {
  // Replays are common (an agent resends what was not acknowledged yet): see them cheaply,
  // outside any transaction. The check inside the transaction still decides.
  if (await db.agentEvent.findUnique({ where: { id: event.id }, select: { id: true } })) return null
  return storeOnce(db, agent, event).catch((error) => {
    // Another server instance stored the same event at the same moment: it is stored once.
    if (isUniqueViolation(error)) return null
    throw error
  })
}

export interface AgentEvents {
  agent: Agent
  events: AgentEventEnvelope[]
}

export interface IngestedBatch {
  results: Ingested[]
  /** Per agent id: the highest sequence stored with no gap below it, to acknowledge. */
  acked: Map<string, number>
}

/**
 * Stores a burst of events, from one agent or many, in one transaction (a backlog or a
 * thousand agents drain in batches, not one commit per event), skipping those already
 * stored, and advances each agent's acknowledged sequence in the same transaction. If
 * another server instance stored some of them meanwhile (a unique key), falls back to one by one, so each
 * is still stored exactly once.
 */
export async function ingestBatch(db: Db, groups: AgentEvents[]): Promise<IngestedBatch> {
  const ids = groups.flatMap((g) => g.events.map((e) => e.id))
  const known = new Set(
    (await db.agentEvent.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((k) => k.id),
  )
  const fresh = groups.map((g) => {
    const events: AgentEventEnvelope[] = []
    for (const e of g.events) {
      if (known.has(e.id)) continue // stored already, or twice in this burst (a QoS 1 duplicate)
      known.add(e.id)
      events.push(e)
    }
    return { agent: g.agent, events, seqs: new Set(g.events.map((e) => e.seq)) }
  })
  try {
    return await db.$transaction(
      async (tx) => {
        const batch: IngestedBatch = { results: [], acked: new Map() }
        // Checked just above; a concurrent instance storing one of them fails the batch (P2002).
        const context = newBatch(tx, false)
        for (const group of fresh) {
          for (const event of group.events) {
            const result = await storeIn(tx, group.agent, event, context)
            if (result) batch.results.push(result)
          }
        }
        await writeBatch(tx, context)
        batch.acked = await advanceAcksIn(tx, fresh)
        return batch
      },
      { maxWait: 15_000, timeout: 30_000 },
    )
  } catch (error) {
    if (!isUniqueViolation(error)) throw error
    const batch: IngestedBatch = { results: [], acked: new Map() }
    for (const group of fresh) {
      for (const event of group.events) {
        const result = await ingestEvent(db, group.agent, event)
        if (result) batch.results.push(result)
      }
      batch.acked.set(group.agent.id, await advanceAck(db, group.agent.id))
    }
    return batch
  }
}

/**
 * Inside a batch: each agent's acknowledged sequence moves over the sequences just stored,
 * then over any stored earlier beyond a gap this batch filled (one query for all agents).
 * Only ever forward.
 */
async function advanceAcksIn(tx: Tx, groups: { agent: Agent; seqs: Set<number> }[]): Promise<Map<string, number>> {
  const acked = new Map<string, number>()
  for (const { agent, seqs } of groups) {
    let seq = agent.ackedSeq
    while (seqs.has(seq + 1)) seq++
    acked.set(agent.id, seq)
  }
  const beyond = await tx.agentEvent.findMany({
    where: {
      OR: groups.map(({ agent }) => ({
        agentId: agent.id,
        seq: { gt: acked.get(agent.id)!, lte: acked.get(agent.id)! + 500 },
      })),
    },
    select: { agentId: true, seq: true },
    orderBy: [{ agentId: 'asc' }, { seq: 'asc' }],
  })
  for (const row of beyond) if (row.seq === acked.get(row.agentId)! + 1) acked.set(row.agentId, row.seq)
  const moved: { id: string; seq: number }[] = []
  for (const { agent } of groups) {
    let seq = acked.get(agent.id)!
    // A long run stored beyond the gap (more than one page): walk on.
    if (beyond.filter((r) => r.agentId === agent.id).length >= 500) seq = await contiguousFrom(tx, agent.id, seq)
    if (seq > agent.ackedSeq) {
      moved.push({ id: agent.id, seq })
      agent.ackedSeq = seq
    }
    acked.set(agent.id, seq)
  }
  await storeAcks(tx, moved)
  return acked
}

/**
 * Every agent's new acknowledged sequence in one statement (one per agent was most of the
 * server's queries with a thousand agents); never backwards, should another instance
 * have gone further meanwhile.
 */
async function storeAcks(tx: Tx, moved: { id: string; seq: number }[]) {
  if (!moved.length) return
  const { sql, join } = Prisma
  const seqOf = sql`CASE "id" ${join(
    moved.map((m) => sql`WHEN ${m.id} THEN CAST(${m.seq} AS INTEGER)`),
    ' ',
  )} ELSE "ackedSeq" END`
  await tx.$executeRaw`UPDATE "Agent"
    SET "ackedSeq" = CASE WHEN ${seqOf} > "ackedSeq" THEN ${seqOf} ELSE "ackedSeq" END
    WHERE "id" IN (${join(moved.map((m) => m.id))})`
}

/** The highest sequence reached from `acked` through stored events with no gap. */
async function contiguousFrom(db: Db | Tx, agentId: string, acked: number): Promise<number> {
  for (;;) {
    const rows = await db.agentEvent.findMany({
      where: { agentId, seq: { gt: acked, lte: acked + 500 } },
      select: { seq: true },
      orderBy: { seq: 'asc' },
    })
    let moved = false
    for (const row of rows) {
      if (row.seq !== acked + 1) break
      acked = row.seq
      moved = true
    }
    if (!moved || rows.length < 500) return acked
  }
}

function storeOnce(db: Db, agent: Agent, event: AgentEventEnvelope): Promise<Ingested | null> {
  return db.$transaction(
    async (tx) => {
      const batch = newBatch(tx, true)
      const result = await storeIn(tx, agent, event, batch)
      await writeBatch(tx, batch)
      return result
    },
    { maxWait: 15_000, timeout: 15_000 },
  )
}

type MemberWithPerson = NonNullable<Awaited<ReturnType<typeof memberOf>>>

/**
 * One transaction's shared work: lookups done once (machines, members, badges, the rates
 * and space settings of charges, the sessions it started), the machines' live state written
 * once with its last value, and the plain inserts (the event log, access decisions, badges'
 * last sighting, credit debits) written together at the end instead of one statement per
 * event. A session (its start and its end) took 14 statements, most of a backlog's drain;
 * it takes 2 now, its two upserts.
 */
interface BatchContext {
  /** False when the ids were checked before the transaction. */
  known: boolean
  /** Keyed by space id and slug: one batch may hold events of agents of several spaces. */
  machines: Map<string, Machine | null>
  members: Map<string, MemberWithPerson | null>
  /** Badge ids by space id and uid. */
  badges: Map<string, string | null>
  /** Sessions this batch stored, by the agent's session id. */
  sessions: Map<string, UsageSession>
  charges: ChargeLookups
  /** Each machine's live state as the batch leaves it, by machine id. */
  live: Map<string, Prisma.MachineUpdateInput>
  /** Ended sessions' debits from members' credit. */
  debits: (Prisma.CreditEntryCreateManyInput & { id: string; at: Date })[]
  agentEvents: (Omit<Prisma.AgentEventCreateManyInput, 'receivedAt'> & { at: Date })[]
  accessEvents: (Prisma.AccessEventCreateManyInput & { id: string })[]
  badgesSeen: Map<string, Date>
}

/** The value kept under `key`, loaded the first time (a batch's lookups). */
async function cached<V>(kept: Map<string, V>, key: string, load: () => Promise<V>): Promise<V> {
  if (!kept.has(key)) kept.set(key, await load())
  return kept.get(key) as V
}

const newBatch = (tx: Tx, known: boolean): BatchContext => {
  const direct = chargeLookups(tx)
  const spaces = new Map<string, Awaited<ReturnType<ChargeLookups['space']>>>()
  const rates = new Map<string, Awaited<ReturnType<ChargeLookups['rate']>>>()
  return {
    known,
    machines: new Map(),
    members: new Map(),
    badges: new Map(),
    sessions: new Map(),
    charges: {
      space: (id) => cached(spaces, id, () => direct.space(id)),
      rate: (machineId, groupId) => cached(rates, `${machineId}|${groupId}`, () => direct.rate(machineId, groupId)),
    },
    live: new Map(),
    debits: [],
    agentEvents: [],
    accessEvents: [],
    badgesSeen: new Map(),
  }
}

/** The member an event names (by id, else by badge), looked up once a batch. */
async function memberIn(tx: Tx, spaceId: string, body: Record<string, unknown>, batch: BatchContext) {
  const key = `${spaceId}|${str(body.memberId) ?? ''}|${(str(body.badgeUid) ?? '').toUpperCase()}`
  return cached(batch.members, key, () => memberOf(tx, spaceId, body))
}

/** Sets a machine's live state, written once when the batch ends (the last value of each field wins). */
function setLive(batch: BatchContext, machineId: string, data: Prisma.MachineUpdateInput) {
  batch.live.set(machineId, { ...batch.live.get(machineId), ...data })
}

/**
 * Plain multi-row INSERTs (the same SQL on SQLite and PostgreSQL): Prisma's createMany
 * spent ~0.25 ms of CPU per row building its query, 50 ms for a batch of 200 events, most
 * of the server's work draining a backlog. Columns are listed once, values bound.
 */
async function insertRows<Row>(tx: Tx, table: string, columns: (keyof Row & string)[], rows: Row[]) {
  const { sql, join, raw } = Prisma
  const names = raw(columns.map((c) => `"${c}"`).join(', '))
  for (let i = 0; i < rows.length; i += 500) {
    const values = rows.slice(i, i + 500).map((row) => sql`(${join(columns.map((c) => row[c] ?? null))})`)
    await tx.$executeRaw`INSERT INTO ${raw(`"${table}"`)} (${names}) VALUES ${join(values)}`
  }
}

async function writeBatch(tx: Tx, batch: BatchContext) {
  const receivedAt = new Date()
  await insertRows(
    tx,
    'AgentEvent',
    ['id', 'agentId', 'seq', 'type', 'at', 'machine', 'body', 'receivedAt'],
    batch.agentEvents.map((e) => ({ ...e, body: JSON.stringify(e.body), receivedAt })),
  )
  await insertRows(
    tx,
    'AccessEvent',
    ['id', 'spaceId', 'machineId', 'membershipId', 'badgeUid', 'decision', 'reason', 'at', 'agentId', 'eventId'],
    batch.accessEvents,
  )
  for (const [id, data] of batch.live) await tx.machine.update({ where: { id }, data })
  await insertRows(
    tx,
    'CreditEntry',
    ['id', 'spaceId', 'membershipId', 'amountCents', 'kind', 'sessionId', 'at'],
    batch.debits,
  )
  const debited = new Map<string, number>()
  for (const d of batch.debits) debited.set(d.membershipId, (debited.get(d.membershipId) ?? 0) - d.amountCents)
  for (const [id, cents] of debited)
    await tx.membership.update({ where: { id }, data: { creditCents: { decrement: cents } } })
  for (const [key, at] of batch.badgesSeen) {
    const [spaceId, uid] = key.split('|') as [string, string]
    await tx.badge.updateMany({
      where: { spaceId, uid, OR: [{ lastSeenAt: null }, { lastSeenAt: { lt: at } }] },
      data: { lastSeenAt: at },
    })
  }
}

async function storeIn(tx: Tx, agent: Agent, event: AgentEventEnvelope, batch: BatchContext): Promise<Ingested | null> {
  if (batch.known && (await tx.agentEvent.findUnique({ where: { id: event.id }, select: { id: true } }))) return null
  const at = new Date(event.at)
  batch.agentEvents.push({
    id: event.id,
    agentId: agent.id,
    seq: event.seq,
    type: event.type,
    at,
    machine: event.machine ?? null,
    body: event.body as object,
  })
  const result: Ingested = {
    event,
    spaceId: agent.spaceId,
    agentSlug: agent.slug,
    creditChanged: false,
    projections: [],
  }
  const slug = event.machine
  const machine = slug
    ? await cached(batch.machines, `${agent.spaceId}|${slug}`, () =>
        tx.machine.findUnique({ where: { spaceId_slug: { spaceId: agent.spaceId, slug } } }),
      )
    : null
  await project(tx, agent, event, at, machine, result, batch)
  return result
}

async function memberOf(tx: Tx, spaceId: string, body: Record<string, unknown>) {
  const memberId = str(body.memberId)
  if (memberId) {
    const m = await tx.membership.findFirst({ where: { id: memberId, spaceId }, include: { person: true } })
    if (m) return m
  }
  // Stored and recorded in upper case, whatever case the reader sent.
  const uid = str(body.badgeUid)?.toUpperCase()
  if (!uid) return null
  const badge = await tx.badge.findUnique({
    where: { spaceId_uid: { spaceId, uid } },
    include: { membership: { include: { person: true } } },
  })
  return badge?.membership ?? null
}

async function project(
  tx: Tx,
  agent: Agent,
  event: AgentEventEnvelope,
  at: Date,
  machine: { id: string; slug: string } | null,
  result: Ingested,
  batch: BatchContext,
) {
  const body = event.body
  const spaceId = agent.spaceId
  switch (event.type) {
    case 'access.granted':
    case 'access.denied': {
      const badgeUid = (str(body.badgeUid) ?? '').toUpperCase()
      const member = await memberIn(tx, spaceId, body, batch)
      const decision = event.type === 'access.granted' ? 'granted' : 'denied'
      const reason = str(body.reason) ?? (decision === 'granted' ? 'granted' : 'denied')
      batch.accessEvents.push({
        id: randomUUID(),
        spaceId,
        machineId: machine?.id ?? null,
        membershipId: member?.id ?? null,
        badgeUid,
        decision,
        reason,
        at,
        agentId: agent.id,
        eventId: event.id,
      })
      const seenKey = `${spaceId}|${badgeUid}`
      if (badgeUid && !((batch.badgesSeen.get(seenKey)?.getTime() ?? 0) > at.getTime()))
        batch.badgesSeen.set(seenKey, at)
      result.projections.push({
        kind: 'access',
        data: {
          machine: machine?.slug ?? event.machine ?? null,
          decision,
          reason,
          badgeUid,
          // The training missing, for "refusé : formation laser requise".
          training: str(body.training) ?? null,
          member: member ? { id: member.id, name: member.person.name } : null,
          at: event.at,
        },
      })
      // "Enrol next badge": the first unknown badge tapped at this agent goes to the chosen member.
      if (
        reason === 'unknown_badge' &&
        badgeUid &&
        agent.enrolMemberId &&
        agent.enrolUntil &&
        agent.enrolUntil.getTime() >= at.getTime()
      ) {
        await tx.badge.create({
          data: { spaceId, membershipId: agent.enrolMemberId, uid: badgeUid, label: 'Enrôlé à la borne' },
        })
        await tx.agent.update({ where: { id: agent.id }, data: { enrolMemberId: null, enrolUntil: null } })
        // Later events of this batch see the mode ended and the badge known.
        agent.enrolMemberId = null
        agent.enrolUntil = null
        batch.members.clear()
        batch.badges.clear()
        await tx.auditLog.create({
          data: {
            spaceId,
            action: 'badge.enrol',
            target: badgeUid,
            details: { member: agent.enrolMemberId, agent: agent.slug, machine: machine?.slug },
          },
        })
        result.projections.push({ kind: 'badge.enrolled', data: { badgeUid, memberId: agent.enrolMemberId } })
      }
      return
    }
    case 'session.started': {
      if (!machine) return
      const member = await memberIn(tx, spaceId, body, batch)
      const badgeUid = str(body.badgeUid)?.toUpperCase()
      const badgeId = badgeUid
        ? await cached(batch.badges, `${spaceId}|${badgeUid}`, async () => {
            const badge = await tx.badge.findUnique({
              where: { spaceId_uid: { spaceId, uid: badgeUid } },
              select: { id: true },
            })
            return badge?.id ?? null
          })
        : null
      const bookingId = str(body.bookingId)
      const booking = bookingId ? await tx.booking.findFirst({ where: { id: bookingId, machineId: machine.id } }) : null
      const sessionId = str(body.sessionId) ?? event.id
      const session = await tx.usageSession.upsert({
        where: { agentSessionId: sessionId },
        create: {
          spaceId,
          machineId: machine.id,
          membershipId: member?.id ?? null,
          badgeId,
          bookingId: booking?.id ?? null,
          startedAt: at,
          agentSessionId: sessionId,
          priceGroupId: member?.priceGroupId ?? null,
        },
        update: { startedAt: at, membershipId: member?.id ?? null, priceGroupId: member?.priceGroupId ?? null },
      })
      batch.sessions.set(sessionId, session)
      if (booking && booking.status === 'confirmed')
        await tx.booking.update({ where: { id: booking.id }, data: { status: 'checked_in' } })
      setLive(batch, machine.id, { liveState: 'in_use', liveSince: at, liveMemberId: member?.id ?? null })
      result.projections.push({
        kind: 'session.started',
        data: {
          machine: machine.slug,
          member: member ? { id: member.id, name: member.person.name } : null,
          at: event.at,
          sessionId,
        },
      })
      return
    }
    case 'session.ended': {
      if (!machine) return
      const sessionId = str(body.sessionId) ?? event.id
      const durationSeconds = num(body.durationSeconds)
      const endCause = str(body.endCause) ?? 'unknown'
      const busySeconds = num(body.busySeconds)
      const existing =
        batch.sessions.get(sessionId) ?? (await tx.usageSession.findUnique({ where: { agentSessionId: sessionId } }))
      const startedAt = existing?.startedAt ?? new Date(at.getTime() - (durationSeconds ?? 0) * 1000)
      const member = existing?.membershipId ? null : await memberIn(tx, spaceId, body, batch)
      const created = {
        spaceId,
        machineId: machine.id,
        membershipId: member?.id ?? null,
        priceGroupId: member?.priceGroupId ?? null,
        startedAt,
        chargeCents: null,
      }
      const ended = { endedAt: at, endCause, busySeconds: busySeconds ?? null }
      // Priced as it is once ended, and written with its end: one statement, not three.
      const charge = await chargeOf({ ...(existing ?? created), ...ended }, batch.charges)
      const priced = charge ? { billedMinutes: charge.billedMinutes, chargeCents: charge.chargeCents } : {}
      const stored = await tx.usageSession.upsert({
        where: { agentSessionId: sessionId },
        create: { ...created, ...ended, ...priced, agentSessionId: sessionId },
        update: { ...ended, ...priced },
      })
      batch.sessions.set(sessionId, stored)
      if (charge && charge.debitCents > 0 && stored.membershipId) {
        batch.debits.push({
          id: randomUUID(),
          spaceId: stored.spaceId,
          membershipId: stored.membershipId,
          amountCents: -charge.debitCents,
          kind: 'session',
          sessionId: stored.id,
          at,
        })
      }
      if (charge?.changesDecisions) result.creditChanged = true
      setLive(batch, machine.id, { liveState: 'idle', liveSince: at, liveMemberId: null })
      result.projections.push({
        kind: 'session.ended',
        data: {
          machine: machine.slug,
          at: event.at,
          sessionId,
          durationSeconds: durationSeconds ?? Math.round((at.getTime() - startedAt.getTime()) / 1000),
          endCause,
          chargeCents: charge?.chargeCents ?? null,
        },
      })
      return
    }
    case 'machine.state': {
      if (!machine) return
      const state = str(body.state)
      const watts = num(body.watts)
      setLive(batch, machine.id, {
        ...(state ? { liveState: state, liveSince: at } : {}),
        ...(watts !== undefined ? { liveWatts: watts } : {}),
      })
      result.projections.push({
        kind: 'machine.state',
        data: { machine: machine.slug, state: state ?? null, watts: watts ?? null, at: event.at },
      })
      return
    }
    case 'device.fault': {
      if (machine && body.ok !== true) setLive(batch, machine.id, { liveState: 'fault', liveSince: at })
      result.projections.push({
        kind: 'fault',
        data: {
          machine: machine?.slug ?? null,
          device: str(body.device) ?? null,
          message: str(body.message) ?? str(body.reason) ?? null,
          ok: body.ok === true,
          at: event.at,
        },
      })
      return
    }
    default:
      // Unknown types are stored (AgentEvent) for a newer server to read; nothing to project.
      return
  }
}

/** Moves the agent's acknowledged sequence past every contiguous stored event; returns it. */
export async function advanceAck(db: Db, agentId: string): Promise<number> {
  const agent = await db.agent.findUniqueOrThrow({ where: { id: agentId }, select: { ackedSeq: true } })
  const acked = await contiguousFrom(db, agentId, agent.ackedSeq)
  if (acked !== agent.ackedSeq) {
    // Only ever forward, also when two instances race.
    await db.agent.updateMany({ where: { id: agentId, ackedSeq: { lt: acked } }, data: { ackedSeq: acked } })
  }
  return acked
}
