import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Space } from '../db/generated/sqlite/client.js'
import { AppError } from '../lib/errors.js'
import { isValidTimeZone } from '../lib/time.js'
import { requireCaller } from '../plugins/auth.js'
import { audit, spaceContext } from '../services/space-access.js'
import { errorResponses, Name, Slug, SpaceParams } from './schemas.js'

const Clock = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$' })
export const SpaceSettings = Type.Object(
  {
    /** ISO weekday "1" (Monday) … "7" → local opening intervals. Absent: bookable at any hour. */
    openingHours: Type.Optional(
      Type.Record(Type.String({ pattern: '^[1-7]$' }), Type.Array(Type.Tuple([Clock, Clock]), { maxItems: 6 })),
    ),
  },
  { additionalProperties: false },
)

const SpaceOut = Type.Object({
  slug: Type.String(),
  name: Type.String(),
  timeZone: Type.String(),
  currency: Type.String(),
  vatRateBps: Type.Integer(),
  bookingWindowDays: Type.Integer(),
  checkInMinutes: Type.Integer(),
  noShowGraceMinutes: Type.Integer(),
  requireCredit: Type.Boolean(),
  minCreditCents: Type.Integer(),
  settings: SpaceSettings,
  role: Type.String({ description: "the caller's role in this space" }),
})

const SpaceFields = {
  name: Name,
  timeZone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA zone, e.g. Europe/Paris' }),
  currency: Type.String({ pattern: '^[A-Z]{3}$' }),
  vatRateBps: Type.Integer({ minimum: 0, maximum: 10_000, description: 'VAT in basis points: 2000 = 20 %' }),
  bookingWindowDays: Type.Integer({ minimum: 0, maximum: 366 }),
  checkInMinutes: Type.Integer({ minimum: 0, maximum: 240 }),
  noShowGraceMinutes: Type.Integer({ minimum: 0, maximum: 240 }),
  requireCredit: Type.Boolean(),
  minCreditCents: Type.Integer({ minimum: 0 }),
  settings: SpaceSettings,
}

export function spaceOut(space: Space, role: string) {
  return { ...space, settings: (space.settings ?? {}) as object, role }
}

function checkTimeZone(timeZone: string | undefined) {
  if (timeZone !== undefined && !isValidTimeZone(timeZone)) {
    throw new AppError(400, 'VALIDATION_FAILED', `body.timeZone: unknown time zone "${timeZone}"`)
  }
}

export const spaceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = app.db

  app.get(
    '/spaces',
    {
      schema: {
        tags: ['spaces'],
        summary: 'The spaces I belong to',
        response: { 200: Type.Array(SpaceOut), ...errorResponses },
      },
    },
    async (request) => {
      const memberships = await db.membership.findMany({
        where: { personId: requireCaller(request).personId },
        include: { space: true },
      })
      return memberships.map((m) => spaceOut(m.space, m.role))
    },
  )

  app.post(
    '/spaces',
    {
      schema: {
        tags: ['spaces'],
        summary: 'Create a space; its creator becomes its admin',
        body: Type.Object(
          { slug: Slug, ...SpaceFields, name: Name },
          { additionalProperties: false, required: ['slug', 'name'] },
        ),
        response: { 201: SpaceOut, ...errorResponses, 409: Type.Ref('ErrorBody') },
      },
    },
    async (request, reply) => {
      const caller = requireCaller(request)
      checkTimeZone(request.body.timeZone)
      if (await db.space.findUnique({ where: { slug: request.body.slug } })) {
        throw new AppError(409, 'ALREADY_EXISTS', `a space "${request.body.slug}" already exists`)
      }
      const space = await db.space.create({
        data: { ...request.body, memberships: { create: { personId: caller.personId, role: 'admin' } } },
      })
      await audit(db, { space, caller }, 'space.create', space.slug)
      return reply.status(201).send(spaceOut(space, 'admin'))
    },
  )

  app.get(
    '/spaces/:space',
    { schema: { tags: ['spaces'], params: SpaceParams, response: { 200: SpaceOut, ...errorResponses } } },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space)
      return spaceOut(ctx.space, ctx.role)
    },
  )

  app.patch(
    '/spaces/:space',
    {
      schema: {
        tags: ['spaces'],
        summary: 'Change the space settings (staff)',
        params: SpaceParams,
        body: Type.Partial(Type.Object(SpaceFields), { additionalProperties: false }),
        response: { 200: SpaceOut, ...errorResponses },
      },
    },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space, 'staff')
      checkTimeZone(request.body.timeZone)
      const space = await db.space.update({ where: { id: ctx.space.id }, data: request.body })
      await audit(db, ctx, 'space.update', space.slug, request.body)
      return spaceOut(space, ctx.role)
    },
  )
}
