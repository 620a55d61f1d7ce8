import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { AppError, notFound } from '../lib/errors.js'
import { hashSecret, newSecret } from '../lib/secrets.js'
import { audit, spaceContext } from '../services/space-access.js'
import { errorResponses, Name, Ok, Slug, SpaceParams } from './schemas.js'

const AgentOut = Type.Object({
  slug: Type.String(),
  name: Type.String(),
  online: Type.Boolean(),
  lastSeenAt: Type.Union([Type.String(), Type.Null()]),
  version: Type.Union([Type.String(), Type.Null()]),
  rightsVersion: Type.Integer({ description: 'latest version made by the server' }),
  heldRightsVersion: Type.Integer({ description: 'version the agent says it holds' }),
  pendingEvents: Type.Integer({ description: 'events recorded at the agent, not yet acknowledged (its last status)' }),
  ackedSeq: Type.Integer({ description: 'events stored up to this sequence' }),
  machines: Type.Array(Type.String()),
})

export const agentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = app.db

  app.get(
    '/spaces/:space/agents',
    {
      schema: {
        tags: ['agents'],
        summary: 'Agents with their online state (staff)',
        params: SpaceParams,
        response: { 200: Type.Array(AgentOut), ...errorResponses },
      },
    },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space, 'staff')
      const agents = await db.agent.findMany({
        where: { spaceId: ctx.space.id },
        include: { machines: true },
        orderBy: { slug: 'asc' },
      })
      return agents.map((a) => ({
        slug: a.slug,
        name: a.name,
        online: a.online,
        lastSeenAt: a.lastSeenAt?.toISOString() ?? null,
        version: a.version,
        rightsVersion: a.rightsVersion,
        heldRightsVersion: a.heldRightsVersion,
        pendingEvents: a.pendingEvents,
        ackedSeq: a.ackedSeq,
        machines: a.machines.map((m) => m.slug).sort(),
      }))
    },
  )

  app.post(
    '/spaces/:space/agents',
    {
      schema: {
        tags: ['agents'],
        summary: 'Register an agent (staff); its credential is shown in this answer only',
        params: SpaceParams,
        body: Type.Object({ slug: Slug, name: Name }, { additionalProperties: false }),
        response: {
          201: Type.Object({ slug: Type.String(), name: Type.String(), credential: Type.String() }),
          ...errorResponses,
          409: Type.Ref('ErrorBody'),
        },
      },
    },
    async (request, reply) => {
      const ctx = await spaceContext(db, request, request.params.space, 'staff')
      // Agent ids name MQTT topics: they are unique across every space of the server.
      if (await db.agent.findUnique({ where: { slug: request.body.slug } })) {
        throw new AppError(409, 'ALREADY_EXISTS', `an agent "${request.body.slug}" exists`)
      }
      const credential = newSecret('fab_agent')
      const agent = await db.agent.create({
        data: { spaceId: ctx.space.id, ...request.body, credentialHash: hashSecret(credential) },
      })
      await audit(db, ctx, 'agent.register', agent.slug)
      return reply.status(201).send({ slug: agent.slug, name: agent.name, credential })
    },
  )

  app.delete(
    '/spaces/:space/agents/:agent',
    {
      schema: {
        tags: ['agents'],
        summary: 'Remove an agent (admin); its machines are left without agent',
        params: Type.Object({ space: Slug, agent: Slug }),
        response: { 200: Ok, ...errorResponses },
      },
    },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space, 'admin')
      const agent = await db.agent.findFirst({ where: { slug: request.params.agent, spaceId: ctx.space.id } })
      if (!agent) throw notFound(`agent "${request.params.agent}"`)
      await db.agent.delete({ where: { id: agent.id } })
      await audit(db, ctx, 'agent.delete', agent.slug)
      return { ok: true as const }
    },
  )

  app.get(
    '/spaces/:space/audit',
    {
      schema: {
        tags: ['agents'],
        summary: 'Audit log of staff actions, newest first (staff)',
        params: SpaceParams,
        querystring: Type.Object(
          {
            action: Type.Optional(Type.String({ maxLength: 60 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Array(
            Type.Object({
              at: Type.String(),
              action: Type.String(),
              target: Type.Union([Type.String(), Type.Null()]),
              actor: Type.Union([Type.String(), Type.Null()]),
              details: Type.Unknown(),
            }),
          ),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space, 'staff')
      const rows = await db.auditLog.findMany({
        where: { spaceId: ctx.space.id, action: request.query.action },
        orderBy: { at: 'desc' },
        take: request.query.limit ?? 100,
      })
      const people = await db.person.findMany({
        where: { id: { in: rows.map((r) => r.actorId).filter((id): id is string => Boolean(id)) } },
      })
      const emails = new Map(people.map((p) => [p.id, p.email]))
      return rows.map((r) => ({
        at: r.at.toISOString(),
        action: r.action,
        target: r.target,
        actor: r.actorId ? (emails.get(r.actorId) ?? null) : null,
        details: r.details ?? {},
      }))
    },
  )
}
