import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { AppError, notFound } from '../lib/errors.js'
import { atLeast, audit, findMember, type SpaceContext, spaceContext } from '../services/space-access.js'
import { errorResponses, IsoDateTime, Name, Ok, Slug, SpaceParams } from './schemas.js'

const TrainingOut = Type.Object({
  slug: Type.String(),
  name: Type.String(),
  validityDays: Type.Union([Type.Integer(), Type.Null()]),
})
const GrantOut = Type.Object({
  training: Type.String(),
  member: Type.String(),
  grantedAt: Type.String(),
  grantedBy: Type.Union([Type.String(), Type.Null()]),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
})
const GrantParams = Type.Object({ space: Slug, member: Type.String({ minLength: 1, maxLength: 254 }), training: Slug })

export const trainingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = app.db
  /** Staff grant and revoke any training; trainers only those they hold, still valid. */
  const checkTrainerHolds = async (ctx: SpaceContext, training: { id: string; name: string }) => {
    if (ctx.isStaff) return
    const own = await db.trainingGrant.findUnique({
      where: { membershipId_trainingId: { membershipId: ctx.membership.id, trainingId: training.id } },
    })
    if (!own || (own.expiresAt && own.expiresAt.getTime() <= Date.now())) {
      throw new AppError(403, 'TRAINER_LACKS_TRAINING', `you do not hold a valid ${training.name} training yourself`)
    }
  }

  app.get(
    '/spaces/:space/trainings',
    {
      schema: {
        tags: ['trainings'],
        params: SpaceParams,
        response: { 200: Type.Array(TrainingOut), ...errorResponses },
      },
    },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space)
      return db.training.findMany({ where: { spaceId: ctx.space.id }, orderBy: { slug: 'asc' } })
    },
  )

  app.post(
    '/spaces/:space/trainings',
    {
      schema: {
        tags: ['trainings'],
        summary: 'Create a training (staff); validityDays sets the default expiry of its grants',
        params: SpaceParams,
        body: Type.Object(
          {
            slug: Slug,
            name: Name,
            validityDays: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 3650 }), Type.Null()])),
          },
          { additionalProperties: false },
        ),
        response: { 201: TrainingOut, ...errorResponses, 409: Type.Ref('ErrorBody') },
      },
    },
    async (request, reply) => {
      const ctx = await spaceContext(db, request, request.params.space, 'staff')
      if (
        await db.training.findUnique({ where: { spaceId_slug: { spaceId: ctx.space.id, slug: request.body.slug } } })
      ) {
        throw new AppError(409, 'ALREADY_EXISTS', `a training "${request.body.slug}" exists`)
      }
      const training = await db.training.create({ data: { spaceId: ctx.space.id, ...request.body } })
      await audit(db, ctx, 'training.create', training.slug)
      return reply.status(201).send(training)
    },
  )

  app.get(
    '/spaces/:space/members/:member/trainings',
    {
      schema: {
        tags: ['trainings'],
        summary: "A member's trainings (trainers and staff, or oneself)",
        params: Type.Object({ space: Slug, member: Type.String({ minLength: 1, maxLength: 254 }) }),
        response: { 200: Type.Array(GrantOut), ...errorResponses },
      },
    },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space)
      const member = await findMember(db, ctx.space.id, request.params.member)
      if (!atLeast(ctx.role, 'trainer') && member.id !== ctx.membership.id)
        throw notFound(`member "${request.params.member}"`)
      const grants = await db.trainingGrant.findMany({
        where: { membershipId: member.id },
        include: { training: true, grantedBy: { include: { person: true } } },
        orderBy: { grantedAt: 'asc' },
      })
      return grants.map((g) => ({
        training: g.training.slug,
        member: member.id,
        grantedAt: g.grantedAt.toISOString(),
        grantedBy: g.grantedBy?.person.name ?? null,
        expiresAt: g.expiresAt?.toISOString() ?? null,
      }))
    },
  )

  app.put(
    '/spaces/:space/members/:member/trainings/:training',
    {
      schema: {
        tags: ['trainings'],
        summary: 'Grant a training, or change its expiry (staff; trainers for trainings they hold)',
        params: GrantParams,
        body: Type.Optional(
          Type.Object(
            { expiresAt: Type.Optional(Type.Union([IsoDateTime, Type.Null()])) },
            { additionalProperties: false },
          ),
        ),
        response: { 200: GrantOut, ...errorResponses },
      },
    },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space, 'trainer')
      const member = await findMember(db, ctx.space.id, request.params.member)
      const training = await db.training.findUnique({
        where: { spaceId_slug: { spaceId: ctx.space.id, slug: request.params.training } },
      })
      if (!training) throw notFound(`training "${request.params.training}"`)
      await checkTrainerHolds(ctx, training)
      const given = request.body?.expiresAt
      const expiresAt =
        given !== undefined
          ? given === null
            ? null
            : new Date(given)
          : training.validityDays
            ? new Date(Date.now() + training.validityDays * 86_400_000)
            : null
      const grant = await db.trainingGrant.upsert({
        where: { membershipId_trainingId: { membershipId: member.id, trainingId: training.id } },
        create: {
          spaceId: ctx.space.id,
          membershipId: member.id,
          trainingId: training.id,
          grantedById: ctx.membership.id,
          expiresAt,
        },
        update: { grantedById: ctx.membership.id, grantedAt: new Date(), expiresAt },
      })
      await audit(db, ctx, 'training.grant', member.person.email, {
        training: training.slug,
        expiresAt: expiresAt?.toISOString() ?? null,
      })
      return {
        training: training.slug,
        member: member.id,
        grantedAt: grant.grantedAt.toISOString(),
        grantedBy: ctx.caller.name,
        expiresAt: grant.expiresAt?.toISOString() ?? null,
      }
    },
  )

  app.delete(
    '/spaces/:space/members/:member/trainings/:training',
    {
      schema: {
        tags: ['trainings'],
        summary: 'Revoke a training (staff; trainers for trainings they hold)',
        params: GrantParams,
        response: { 200: Ok, ...errorResponses },
      },
    },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space, 'trainer')
      const member = await findMember(db, ctx.space.id, request.params.member)
      const training = await db.training.findUnique({
        where: { spaceId_slug: { spaceId: ctx.space.id, slug: request.params.training } },
      })
      if (!training) throw notFound(`training "${request.params.training}"`)
      await checkTrainerHolds(ctx, training)
      const { count } = await db.trainingGrant.deleteMany({
        where: { membershipId: member.id, trainingId: training.id },
      })
      if (!count) throw notFound(`${training.slug} training of this member`)
      await audit(db, ctx, 'training.revoke', member.person.email, { training: training.slug })
      return { ok: true as const }
    },
  )
}
