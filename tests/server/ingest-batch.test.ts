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
})
