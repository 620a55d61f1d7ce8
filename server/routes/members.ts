import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Db } from '../db/client.js'
import { AppError, forbidden, notFound } from '../lib/errors.js'
import { hashPassword } from '../lib/secrets.js'
import { atLeast, audit, findMember, type SpaceContext, spaceContext } from '../services/space-access.js'
import { Email, errorResponses, Name, Role, Slug, SpaceParams } from './schemas.js'

export const MemberOut = Type.Object({
  id: Type.String({ description: 'membership id' }),
  personId: Type.String(),
  email: Type.String(),
  name: Type.String(),
  role: Type.String(),
  priceGroup: Type.Union([Type.String(), Type.Null()]),
  suspended: Type.Boolean(),
  creditCents: Type.Integer(),
  createdAt: Type.String(),
  trainings: Type.Array(
    Type.Object({
      training: Type.String(),
      grantedAt: Type.String(),
      expiresAt: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
  badges: Type.Array(
    Type.Object({ uid: Type.String(), label: Type.Union([Type.String(), Type.Null()]), active: Type.Boolean() }),
  ),
})

const memberInclude = {
  person: true,
  priceGroup: true,
  trainings: { include: { training: true } },
  badges: true,
} as const

type MemberRow = Awaited<ReturnType<typeof loadMember>>
function loadMember(db: Db, id: string) {
  return db.membership.findUniqueOrThrow({ where: { id }, include: memberInclude })
}

export function memberOut(m: MemberRow) {
  return {
    id: m.id,
    personId: m.personId,
    email: m.person.email,
    name: m.person.name,
    role: m.role,
    priceGroup: m.priceGroup?.slug ?? null,
    suspended: m.suspended,
    creditCents: m.creditCents,
    createdAt: m.createdAt.toISOString(),
    trainings: m.trainings.map((g) => ({
      training: g.training.slug,
      grantedAt: g.grantedAt.toISOString(),
      expiresAt: g.expiresAt?.toISOString() ?? null,
    })),
    badges: m.badges.map((b) => ({ uid: b.uid, label: b.label, active: b.active })),
  }
}

async function priceGroupId(db: Db, spaceId: string, slug: string | null | undefined) {
  if (slug === undefined) return undefined
  if (slug === null) return null
  const group = await db.priceGroup.findUnique({ where: { spaceId_slug: { spaceId, slug } } })
  if (!group) throw notFound(`price group "${slug}"`)
  return group.id
}

/** Staff may give maker/trainer roles; only admins make or unmake staff and admins. */
function checkRoleChange(ctx: SpaceContext, from: string | undefined, to: string | undefined) {
  if (to === undefined || to === from) return
  if ((atLeast(to, 'staff') || (from !== undefined && atLeast(from, 'staff'))) && ctx.role !== 'admin') {
    throw forbidden('only an admin gives or takes the staff and admin roles')
  }
}

const MemberParams = Type.Object({
  space: Slug,
  member: Type.String({ minLength: 1, maxLength: 254, description: 'membership id, person id or email' }),
})

export const memberRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = app.db

  app.get(
    '/spaces/:space/members',
    {
      schema: {
        tags: ['members'],
        summary: 'Members of the space (staff)',
        params: SpaceParams,
        querystring: Type.Object(
          { q: Type.Optional(Type.String({ maxLength: 100 })), role: Type.Optional(Role) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(MemberOut), ...errorResponses },
      },
    },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space, 'trainer')
      const { q, role } = request.query
      const members = await db.membership.findMany({
        where: {
          spaceId: ctx.space.id,
          role,
          person: q ? { OR: [{ name: { contains: q } }, { email: { contains: q.toLowerCase() } }] } : undefined,
        },
        include: memberInclude,
        orderBy: { person: { name: 'asc' } },
      })
      return members.map(memberOut)
    },
  )

  app.post(
    '/spaces/:space/members',
    {
      schema: {
        tags: ['members'],
        summary: 'Add a person to the space (staff); creates the person when the email is new',
        params: SpaceParams,
        body: Type.Object(
          {
            email: Email,
            name: Name,
            role: Type.Optional(Role),
            priceGroup: Type.Optional(Slug),
            password: Type.Optional(Type.String({ minLength: 8, maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: MemberOut, ...errorResponses, 409: Type.Ref('ErrorBody') },
      },
    },
    async (request, reply) => {
      const ctx = await spaceContext(db, request, request.params.space, 'staff')
      const { email, name, role = 'maker', priceGroup, password } = request.body
      checkRoleChange(ctx, undefined, role)
      const groupId = await priceGroupId(db, ctx.space.id, priceGroup)
      const passwordHash = password ? await hashPassword(password) : undefined
      const membership = await db.$transaction(async (tx) => {
        const person =
          (await tx.person.findUnique({ where: { email: email.toLowerCase() } })) ??
          (await tx.person.create({ data: { email: email.toLowerCase(), name, passwordHash } }))
        if (
          await tx.membership.findUnique({
            where: { spaceId_personId: { spaceId: ctx.space.id, personId: person.id } },
          })
        ) {
          throw new AppError(409, 'ALREADY_EXISTS', `${email} is already a member of this space`)
        }
        return tx.membership.create({
          data: { spaceId: ctx.space.id, personId: person.id, role, priceGroupId: groupId },
        })
      })
      await audit(db, ctx, 'member.add', email.toLowerCase(), { role, priceGroup })
      return reply.status(201).send(memberOut(await loadMember(db, membership.id)))
    },
  )

  app.get(
    '/spaces/:space/members/:member',
    {
      schema: {
        tags: ['members'],
        summary: 'One member (staff, or oneself)',
        params: MemberParams,
        response: { 200: MemberOut, ...errorResponses },
      },
    },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space)
      const member = await findMember(db, ctx.space.id, request.params.member)
      if (!atLeast(ctx.role, 'trainer') && member.id !== ctx.membership.id)
        throw notFound(`member "${request.params.member}"`)
      return memberOut(await loadMember(db, member.id))
    },
  )

  app.patch(
    '/spaces/:space/members/:member',
    {
      schema: {
        tags: ['members'],
        summary: 'Change role, price group, suspension or name (staff)',
        params: MemberParams,
        body: Type.Object(
          {
            name: Type.Optional(Name),
            role: Type.Optional(Role),
            priceGroup: Type.Optional(Type.Union([Slug, Type.Null()])),
            suspended: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 200: MemberOut, ...errorResponses },
      },
    },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space, 'staff')
      const member = await findMember(db, ctx.space.id, request.params.member)
      const { name, role, priceGroup, suspended } = request.body
      checkRoleChange(ctx, member.role, role)
      if (member.role === 'admin' && role !== undefined && role !== 'admin') {
        const admins = await db.membership.count({ where: { spaceId: ctx.space.id, role: 'admin' } })
        if (admins <= 1) throw new AppError(409, 'LAST_ADMIN')
      }
      await db.membership.update({
        where: { id: member.id },
        data: { role, suspended, priceGroupId: await priceGroupId(db, ctx.space.id, priceGroup) },
      })
      if (name !== undefined) await db.person.update({ where: { id: member.personId }, data: { name } })
      await audit(db, ctx, suspended === true ? 'member.suspend' : 'member.update', member.person.email, request.body)
      return memberOut(await loadMember(db, member.id))
    },
  )

  const PriceGroupOut = Type.Object({ slug: Type.String(), name: Type.String() })
  app.get(
    '/spaces/:space/price-groups',
    {
      schema: {
        tags: ['members'],
        params: SpaceParams,
        response: { 200: Type.Array(PriceGroupOut), ...errorResponses },
      },
    },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space)
      return db.priceGroup.findMany({ where: { spaceId: ctx.space.id }, orderBy: { slug: 'asc' } })
    },
  )
  app.post(
    '/spaces/:space/price-groups',
    {
      schema: {
        tags: ['members'],
        summary: 'Create a price group (staff), e.g. membre, etudiant, professionnel',
        params: SpaceParams,
        body: Type.Object({ slug: Slug, name: Name }, { additionalProperties: false }),
        response: { 201: PriceGroupOut, ...errorResponses, 409: Type.Ref('ErrorBody') },
      },
    },
    async (request, reply) => {
      const ctx = await spaceContext(db, request, request.params.space, 'staff')
      const exists = await db.priceGroup.findUnique({
        where: { spaceId_slug: { spaceId: ctx.space.id, slug: request.body.slug } },
      })
      if (exists) throw new AppError(409, 'ALREADY_EXISTS', `price group "${request.body.slug}" exists`)
      const group = await db.priceGroup.create({ data: { spaceId: ctx.space.id, ...request.body } })
      await audit(db, ctx, 'price-group.create', group.slug)
      return reply.status(201).send({ slug: group.slug, name: group.name })
    },
  )
}
