// The space and membership every space request reads (one raw query) are the rows Prisma
// reads, with the same types: booleans, numbers, dates, JSON settings, nulls.
import type { FastifyRequest } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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
    const space = await db.space.update({
      where: { slug: 'demo' },
      data: { requireCredit: true, settings: { openingHours: { mon: [['09:00', '18:00']] } }, vatNumber: null },
    })
    const person = await db.person.findUniqueOrThrow({ where: { email: 'alice@demo.fablab' } })
    const membership = await db.membership.update({
      where: { spaceId_personId: { spaceId: space.id, personId: person.id } },
      data: { suspended: true, creditCents: 1234, billingName: 'Atelier Martin' },
    })
    const request = { caller: { personId: person.id, email: person.email, name: person.name, via: 'token' } }
    const ctx = await spaceContext(db, request as unknown as FastifyRequest, 'demo')
    expect(ctx.space).toStrictEqual(space)
    expect(ctx.membership).toStrictEqual(membership)
    expect(ctx).toMatchObject({ role: 'maker', isStaff: false })
    await expect(spaceContext(db, request as unknown as FastifyRequest, 'elsewhere')).rejects.toMatchObject({
      statusCode: 404,
    })
  })
})
