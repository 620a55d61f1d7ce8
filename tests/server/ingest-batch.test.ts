// One burst from many agents is stored in one transaction, and each agent's acknowledged
// sequence moves in it (one statement for all of them), only ever forward.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ingestBatch } from '../../server/services/ingest.js'
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
})
