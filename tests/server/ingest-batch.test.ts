// One burst from many agents is stored in one transaction, and each agent's acknowledged
// sequence moves in it (one statement for all of them), only ever forward. A backlog of
// sessions is priced and debited as one by one, with two statements a session.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '../../server/db/client.js'
import { type AgentEventEnvelope, ingestBatch } from '../../server/services/ingest.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'

let database: TestDatabase
beforeAll(async () => {
  database = await createTestDatabase()
})
afterAll(() => database.drop())

const denial = (slug: string, seq: number) => ({
  id: `${slug}:${seq}`,
  seq,
  type: 'access.denied' as const,
  at: new Date(Date.UTC(2026, 10, 30, 9, 0, seq)).toISOString(),
  body: { badgeUid: 'FFFF0000AA', reason: 'unknown_badge' },
})

describe('ingestBatch', () => {
  it("moves every agent's acknowledgement in one burst, to its own sequence, never back", async () => {
    const db = database.db
    const demo = await db.space.findUniqueOrThrow({ where: { slug: 'demo' } })
    const agents = await Promise.all(
      ['burst-a', 'burst-b', 'burst-c'].map((slug) =>
        db.agent.create({ data: { spaceId: demo.id, slug, name: slug, credentialHash: 'x' } }),
      ),
    )
    const [a, b, c] = agents as [(typeof agents)[0], (typeof agents)[0], (typeof agents)[0]]
    // Another instance already acknowledged c further than this burst reaches.
    await db.agent.update({ where: { id: c.id }, data: { ackedSeq: 10 } })
    const result = await ingestBatch(db, [
      { agent: a, events: [1, 2, 3].map((n) => denial('burst-a', n)) },
      { agent: b, events: [1, 3].map((n) => denial('burst-b', n)) }, // 2 is missing: b stops at 1
      { agent: c, events: [1, 2].map((n) => denial('burst-c', n)) },
    ])
    expect(Object.fromEntries(result.acked)).toMatchObject({ [a.id]: 3, [b.id]: 1 })
    const stored = await db.agent.findMany({ where: { id: { in: [a.id, b.id, c.id] } }, orderBy: { slug: 'asc' } })
    expect(stored.map((s) => [s.slug, s.ackedSeq])).toEqual([
      ['burst-a', 3],
      ['burst-b', 1],
      ['burst-c', 10],
    ])
    expect(await db.agentEvent.count({ where: { agentId: { in: [a.id, b.id, c.id] } } })).toBe(7)
  })

  it('stores what Prisma reads back as it was sent: times, machine, body, the decision and its member', async () => {
    const db = database.db
    const agent = await db.agent.findUniqueOrThrow({ where: { slug: 'demo-pi' } })
    const bob = await db.badge.findFirstOrThrow({ where: { uid: '0B0056CD78' }, include: { membership: true } })
    const at = new Date(Date.UTC(2026, 10, 30, 10, 15, 30, 250))
    const event = {
      id: 'typed:1',
      seq: agent.ackedSeq + 1,
      type: 'access.denied',
      at: at.toISOString(),
      machine: 'cnc-1',
      body: { badgeUid: '0b0056cd78', reason: 'training_required', training: 'cnc', nested: { n: 1.5, ok: true } },
    }
    await ingestBatch(db, [{ agent, events: [event] }])
    const stored = await db.agentEvent.findUniqueOrThrow({ where: { id: 'typed:1' } })
    expect(stored).toMatchObject({ seq: event.seq, type: 'access.denied', at, machine: 'cnc-1', body: event.body })
    expect(Math.abs(stored.receivedAt.getTime() - Date.now())).toBeLessThan(60_000)
    const access = await db.accessEvent.findUniqueOrThrow({ where: { eventId: 'typed:1' }, include: { machine: true } })
    expect(access).toMatchObject({
      at,
      decision: 'denied',
      reason: 'training_required',
      badgeUid: '0B0056CD78',
      membershipId: bob.membershipId,
      agentId: agent.id,
    })
    expect(access.machine?.slug).toBe('cnc-1')
    // Ranges on the stored times select it, as the usage log's filters do.
    expect(await db.accessEvent.count({ where: { at: { gte: at, lt: new Date(at.getTime() + 1) } } })).toBe(1)
  })

  it('stores a burst once when two writers take it at the same moment (another instance)', async () => {
    const db = database.db
    const agent = await db.agent.findUniqueOrThrow({ where: { slug: 'demo-pi' } })
    const from = agent.ackedSeq + 1
    const events = Array.from({ length: 5 }, (_, i) => ({ ...denial('twice', from + i), id: `twice:${from + i}` }))
    // Both check which events are new before either stores them: one store loses the race.
    const [first, second] = await Promise.all([
      ingestBatch(db, [{ agent: { ...agent }, events }]),
      ingestBatch(db, [{ agent: { ...agent }, events }]),
    ])
    expect(first.results.length + second.results.length).toBe(5)
    expect(Math.max(first.acked.get(agent.id)!, second.acked.get(agent.id)!)).toBe(from + 4)
    expect(await db.agentEvent.count({ where: { id: { startsWith: 'twice:' } } })).toBe(5)
    expect(await db.accessEvent.count({ where: { eventId: { startsWith: 'twice:' } } })).toBe(5)
  })

  it('prices and debits a burst of sessions as one by one, the machine left as the last event says, two statements a session', async () => {
    const db = database.db
    // Counts the statements Prisma's models send (the raw multi-row inserts are one a batch).
    let statements = 0
    const counted = db.$extends({
      query: {
        $allModels: {
          $allOperations({ args, query }) {
            statements++
            return query(args)
          },
        },
      },
    }) as unknown as Db
    const agent = await db.agent.findUniqueOrThrow({ where: { slug: 'demo-pi' } })
    const alice = await db.membership.findFirstOrThrow({ where: { person: { email: 'alice@demo.fablab' } } })
    const creditBefore = alice.creditCents
    let seq = agent.ackedSeq
    const hour = (n: number) => new Date(Date.UTC(2026, 10, 2, 8 + n)).toISOString()
    /** A session of alice at the printer, an hour long: decision, start, decision, end. */
    const session = (name: string, n: number, parts: 'start' | 'end' | 'both' = 'both'): AgentEventEnvelope[] => {
      const event = (type: string, at: string, body: Record<string, unknown>) => ({
        id: `costed:${name}:${type}:${at}`,
        seq: ++seq,
        type,
        at,
        machine: 'printer-1',
        body: { badgeUid: '0A0012AB34', memberId: alice.id, sessionId: `costed-${name}`, ...body },
      })
      const start = [event('access.granted', hour(n), { reason: 'walk_in' }), event('session.started', hour(n), {})]
      const end = [
        event('access.granted', hour(n + 1), { reason: 'session_end' }),
        event('session.ended', hour(n + 1), { endCause: 'same_badge', durationSeconds: 3600 }),
      ]
      return parts === 'start' ? start : parts === 'end' ? end : [...start, ...end]
    }
    const burst = async (events: AgentEventEnvelope[]) => {
      statements = 0
      await ingestBatch(counted, [{ agent: await db.agent.findUniqueOrThrow({ where: { id: agent.id } }), events }])
      return statements
    }

    const two = await burst([...session('a', 0), ...session('b', 2)])
    const six = await burst([0, 1, 2, 3, 4, 5].flatMap((i) => session(`c${i}`, 4 + 2 * i)))
    // Each further session: its start and its end (the member, badge, rate and space are read
    // once a batch, the machine written once, the debits together).
    expect(six - two).toBeLessThanOrEqual(4 * 2)
    // A session left open by one burst and ended by the next.
    await burst(session('d', 20, 'start'))
    const printer = () => db.machine.findFirstOrThrow({ where: { slug: 'printer-1' } })
    expect(await printer()).toMatchObject({ liveState: 'in_use', liveMemberId: alice.id })
    await burst(session('d', 20, 'end'))
    expect(await printer()).toMatchObject({ liveState: 'idle', liveMemberId: null })

    const sessions = await db.usageSession.findMany({ where: { agentSessionId: { startsWith: 'costed-' } } })
    expect(sessions).toHaveLength(9)
    // An hour at 3,00 € excl. VAT (printer, membre), 3,60 € with VAT: each debited once.
    const debits = await db.creditEntry.findMany({ where: { sessionId: { in: sessions.map((s) => s.id) } } })
    for (const s of sessions) {
      expect(s).toMatchObject({ billedMinutes: 60, chargeCents: 300, membershipId: alice.id })
      const debit = debits.filter((d) => d.sessionId === s.id)
      expect(debit.map((d) => [d.kind, d.amountCents, d.membershipId, d.at])).toEqual([
        ['session', -360, alice.id, s.endedAt],
      ])
    }
    const after = await db.membership.findUniqueOrThrow({ where: { id: alice.id } })
    expect(after.creditCents).toBe(creditBefore - 9 * 360)
  })
})
