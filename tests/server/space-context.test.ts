// The space and membership every space request reads (one hot read, straight from the
// driver: SQLite's connection, PostgreSQL's pool) are the rows Prisma reads, with the same types: booleans, numbers,
// dates (ISO text or SQL's own CURRENT_TIMESTAMP format), JSON settings, nulls.
import type { FastifyRequest } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { directReads } from '../../server/db/client.js'
import { spaceContext } from '../../server/services/space-access.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'

let database: TestDatabase
beforeAll(async () => {
  database = await createTestDatabase()
})
afterAll(() => database.drop())

describe('space context', () => {
  it('reads the space and the membership as Prisma does', async () => {
    const db = database.db
    await db.space.update({
      where: { slug: 'demo' },
      data: { requireCredit: true, settings: { openingHours: { mon: [['09:00', '18:00']] } }, vatNumber: null },
    })
    // A date written by the database itself, not by Prisma.
    await db.$executeRaw`UPDATE "Space" SET "createdAt" = CURRENT_TIMESTAMP WHERE "slug" = 'demo'`
    const space = await db.space.findUniqueOrThrow({ where: { slug: 'demo' } })
    const person = await db.person.findUniqueOrThrow({ where: { email: 'alice@demo.fablab' } })
    const membership = await db.membership.update({
      where: { spaceId_personId: { spaceId: space.id, personId: person.id } },
      data: { suspended: true, creditCents: 1234, billingName: 'Atelier Martin' },
    })
    const request = { caller: { personId: person.id, email: person.email, name: person.name, via: 'token' } }
    const direct = directReads(db)
    const ctx = await spaceContext(db, request as unknown as FastifyRequest, 'demo')
    expect(directReads(db)).toBe(direct + 1) // the driver answered, not Prisma's engine
    expect(ctx.space).toStrictEqual(space)
    expect(ctx.membership).toStrictEqual(membership)
    expect(ctx).toMatchObject({ role: 'maker', isStaff: false })
    await expect(spaceContext(db, request as unknown as FastifyRequest, 'elsewhere')).rejects.toMatchObject({
      statusCode: 404,
    })
  })
})
