import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { AppError, notFound } from '../lib/errors.js'
import { audit, findMember, spaceContext } from '../services/space-access.js'
import { BadgeUid, errorResponses, Slug, SpaceParams } from './schemas.js'

const BadgeOut = Type.Object({
  uid: Type.String(),
  label: Type.Union([Type.String(), Type.Null()]),
  active: Type.Boolean(),
  lastSeenAt: Type.Union([Type.String(), Type.Null()]),
  member: Type.Object({ id: Type.String(), name: Type.String(), email: Type.String() }),
})

export const badgeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = app.db
  const include = { membership: { include: { person: true } } } as const
  const out = (b: {
    uid: string
    label: string | null
    active: boolean
    lastSeenAt: Date | null
    membership: { id: string; person: { name: string; email: string } }
  }) => ({
    uid: b.uid,
    label: b.label,
    active: b.active,
    lastSeenAt: b.lastSeenAt?.toISOString() ?? null,
    member: { id: b.membership.id, name: b.membership.person.name, email: b.membership.person.email },
  })

  app.get(
    '/spaces/:space/badges',
    {
      schema: {
        tags: ['badges'],
        summary: 'Badges of the space (staff)',
        params: SpaceParams,
        querystring: Type.Object(
          { member: Type.Optional(Type.String({ maxLength: 254 })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(BadgeOut), ...errorResponses },
      },
    },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space, 'staff')
      const member = request.query.member ? await findMember(db, ctx.space.id, request.query.member) : null
      const badges = await db.badge.findMany({
        where: { spaceId: ctx.space.id, membershipId: member?.id },
        include,
        orderBy: { createdAt: 'asc' },
      })
      return badges.map(out)
    },
  )

  app.get(
    '/spaces/:space/badges/unknown',
    {
      schema: {
        tags: ['badges'],
        summary: 'Last unknown badges tapped (staff): enrol "the badge just tapped at machine X"',
        params: SpaceParams,
        querystring: Type.Object(
          {
            machine: Type.Optional(Slug),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Array(
            Type.Object({ uid: Type.String(), machine: Type.Union([Type.String(), Type.Null()]), at: Type.String() }),
          ),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space, 'staff')
      const taps = await db.accessEvent.findMany({
        where: {
          spaceId: ctx.space.id,
          reason: 'unknown_badge',
          machine: request.query.machine ? { slug: request.query.machine } : undefined,
        },
        include: { machine: true },
        orderBy: { at: 'desc' },
        take: request.query.limit ?? 10,
      })
      return taps.map((t) => ({ uid: t.badgeUid, machine: t.machine?.slug ?? null, at: t.at.toISOString() }))
    },
  )

  app.post(
    '/spaces/:space/members/:member/badges',
    {
      schema: {
        tags: ['badges'],
        summary: 'Enrol a badge for a member (staff); the UID is stored upper-case',
        params: Type.Object({ space: Slug, member: Type.String({ minLength: 1, maxLength: 254 }) }),
        body: Type.Object(
          { uid: BadgeUid, label: Type.Optional(Type.String({ maxLength: 100 })) },
          { additionalProperties: false },
        ),
        response: { 201: BadgeOut, ...errorResponses, 409: Type.Ref('ErrorBody') },
      },
    },
    async (request, reply) => {
      const ctx = await spaceContext(db, request, request.params.space, 'staff')
      const member = await findMember(db, ctx.space.id, request.params.member)
      const uid = request.body.uid.toUpperCase()
      const existing = await db.badge.findUnique({ where: { spaceId_uid: { spaceId: ctx.space.id, uid } } })
      if (existing && (existing.active || existing.membershipId !== member.id)) {
        throw new AppError(
          409,
          'BADGE_TAKEN',
          `badge ${uid} is already enrolled${existing.active ? '' : ' (revoked) for another member'}`,
        )
      }
      const badge = existing
        ? await db.badge.update({
            where: { id: existing.id },
            data: { active: true, label: request.body.label ?? existing.label },
            include,
          })
        : await db.badge.create({
            data: { spaceId: ctx.space.id, membershipId: member.id, uid, label: request.body.label },
            include,
          })
      await audit(db, ctx, 'badge.enrol', uid, { member: member.person.email })
      return reply.status(201).send(out(badge))
    },
  )

  app.delete(
    '/spaces/:space/badges/:uid',
    {
      schema: {
        tags: ['badges'],
        summary: 'Revoke a badge (staff); it stays on record, inactive',
        params: Type.Object({ space: Slug, uid: BadgeUid }),
        response: { 200: BadgeOut, ...errorResponses },
      },
    },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space, 'staff')
      const uid = request.params.uid.toUpperCase()
      const badge = await db.badge.findUnique({ where: { spaceId_uid: { spaceId: ctx.space.id, uid } } })
      if (!badge) throw notFound(`badge ${uid}`)
      const revoked = await db.badge.update({ where: { id: badge.id }, data: { active: false }, include })
      await audit(db, ctx, 'badge.revoke', uid)
      return out(revoked)
    },
  )
}
