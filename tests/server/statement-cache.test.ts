// SQLite keeps the statements Prisma sends compiled, and binds each call's own values to
// them: the same query with other values answers for those values, a failed write leaves
// the statement usable, and a transaction's statements are reused as well.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sqliteStatementCounts } from '../../server/db/client.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'

let database: TestDatabase
beforeAll(async () => {
  database = await createTestDatabase()
})
afterAll(() => database.drop())

describe('compiled statements', () => {
  it('are reused with each call’s values, after errors and inside transactions', async () => {
    const db = database.db
    const counts = sqliteStatementCounts(db)
    if (database.provider === 'postgresql') {
      expect(counts).toBeNull() // PostgreSQL plans on its side; nothing is kept here
      return
    }
    const byEmail = (email: string) => db.person.findUnique({ where: { email } })
    expect((await byEmail('alice@demo.fablab'))?.name).toBe('Alice Martin')
    const compiled = counts!.compiled
    const reused = counts!.reused
    expect((await byEmail('bob@demo.fablab'))?.email).toBe('bob@demo.fablab')
    expect(await byEmail('nobody@demo.fablab')).toBeNull()
    expect((await byEmail('alice@demo.fablab'))?.name).toBe('Alice Martin')
    expect(counts!.compiled).toBe(compiled)
    expect(counts!.reused).toBe(reused + 3)

    const demo = await db.space.findUniqueOrThrow({ where: { slug: 'demo' } })
    const addTraining = (slug: string) => db.training.create({ data: { spaceId: demo.id, slug, name: slug } })
    await addTraining('statement-a')
    await expect(addTraining('statement-a')).rejects.toMatchObject({ code: 'P2002' })
    await addTraining('statement-b')
    const inTransaction = await db.$transaction(async (tx) => [
      await tx.training.findFirst({ where: { slug: 'statement-a' } }),
      await tx.training.findFirst({ where: { slug: 'statement-b' } }),
    ])
    expect(inTransaction.map((t) => t?.slug)).toEqual(['statement-a', 'statement-b'])
    expect(await db.training.count({ where: { slug: { startsWith: 'statement-' } } })).toBe(2)
  })
})
