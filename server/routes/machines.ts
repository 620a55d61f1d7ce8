import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Db } from '../db/client.js'
import { AppError, notFound } from '../lib/errors.js'
import { longestBookingMinutes } from '../services/bookings.js'
import { audit, spaceContext } from '../services/space-access.js'
import { errorResponses, Name, Slug, SpaceParams } from './schemas.js'

const Status = Type.Union([Type.Literal('available'), Type.Literal('out_of_service'), Type.Literal('to_check')])
const MachineFields = {
  name: Name,
  kind: Type.String({ minLength: 1, maxLength: 40, description: 'laser, printer, cnc, embroidery, other…' }),
  status: Status,
  walkInAllowed: Type.Boolean(),
  cutPolicy: Type.Union([Type.Literal('immediate'), Type.Literal('when_idle')], {
    description: 'when_idle: never switched off while drawing more than idleThresholdWatts',
  }),
  idleThresholdWatts: Type.Union([Type.Integer({ minimum: 0, maximum: 100_000 }), Type.Null()]),
  maxSessionMinutes: Type.Union([Type.Integer({ minimum: 1, maximum: 24 * 60 }), Type.Null()]),
  maxBookingMinutes: Type.Integer({ minimum: 5, maximum: longestBookingMinutes }),
  minNoticeMinutes: Type.Integer({ minimum: 0, maximum: 30 * 24 * 60 }),
  requiredTrainings: Type.Array(Slug, { maxItems: 20, uniqueItems: true }),
  agent: Type.Union([Slug, Type.Null()], { description: 'slug of the agent driving it, or null' }),
}

export const MachineOut = Type.Object({
  slug: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  status: Type.String(),
  walkInAllowed: Type.Boolean(),
  cutPolicy: Type.String(),
  idleThresholdWatts: Type.Union([Type.Integer(), Type.Null()]),
  maxSessionMinutes: Type.Union([Type.Integer(), Type.Null()]),
  maxBookingMinutes: Type.Integer(),
  minNoticeMinutes: Type.Integer(),
  requiredTrainings: Type.Array(Type.String()),
  agent: Type.Union([Type.String(), Type.Null()]),
  live: Type.Object({
    state: Type.String({ description: 'idle | in_use | offline | fault, as the agent reports it' }),
    since: Type.Union([Type.String(), Type.Null()]),
    watts: Type.Union([Type.Number(), Type.Null()]),
    member: Type.Union([Type.Object({ id: Type.String(), name: Type.String() }), Type.Null()]),
  }),
})

const include = { trainings: { include: { training: true } }, agent: true } as const

async function loadMachine(db: Db, spaceId: string, slug: string) {
  const machine = await db.machine.findUnique({ where: { spaceId_slug: { spaceId, slug } }, include })
  if (!machine) throw notFound(`machine "${slug}"`)
  return machine
}

type MachineRow = Awaited<ReturnType<typeof loadMachine>>

async function machinesOut(db: Db, rows: MachineRow[]) {
  const memberIds = rows.map((m) => m.liveMemberId).filter((id): id is string => Boolean(id))
  const members = memberIds.length
    ? await db.membership.findMany({ where: { id: { in: memberIds } }, include: { person: true } })
    : []
  const names = new Map(members.map((m) => [m.id, m.person.name]))
  return rows.map((m) => ({
    slug: m.slug,
    name: m.name,
    kind: m.kind,
    status: m.status,
    walkInAllowed: m.walkInAllowed,
    cutPolicy: m.cutPolicy,
    idleThresholdWatts: m.idleThresholdWatts,
    maxSessionMinutes: m.maxSessionMinutes,
    maxBookingMinutes: m.maxBookingMinutes,
    minNoticeMinutes: m.minNoticeMinutes,
    requiredTrainings: m.trainings.map((t) => t.training.slug).sort(),
    agent: m.agent?.slug ?? null,
    live: {
      state: m.liveState,
      since: m.liveSince?.toISOString() ?? null,
      watts: m.liveWatts,
      member: m.liveMemberId ? { id: m.liveMemberId, name: names.get(m.liveMemberId) ?? '' } : null,
    },
  }))
}

/** Training slugs → ids of this space; unknown ones are a 400 naming them. */
async function trainingIds(db: Db, spaceId: string, slugs: string[]) {
  const found = await db.training.findMany({ where: { spaceId, slug: { in: slugs } } })
  const missing = slugs.filter((s) => !found.some((t) => t.slug === s))
  if (missing.length)
    throw new AppError(400, 'VALIDATION_FAILED', `body.requiredTrainings: unknown training ${missing.join(', ')}`)
  return found.map((t) => t.id)
}

async function agentId(db: Db, spaceId: string, slug: string | null | undefined) {
  if (slug === undefined) return undefined
  if (slug === null) return null
  const agent = await db.agent.findFirst({ where: { spaceId, slug } })
  if (!agent) throw new AppError(400, 'VALIDATION_FAILED', `body.agent: unknown agent "${slug}"`)
  return agent.id
}

export const machineRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = app.db
  const MachineParams = Type.Object({ space: Slug, machine: Slug })

  app.get(
    '/spaces/:space/machines',
    {
      schema: {
        tags: ['machines'],
        summary: 'Machines of the space with their live state',
        params: SpaceParams,
        response: { 200: Type.Array(MachineOut), ...errorResponses },
      },
    },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space)
      return machinesOut(
        db,
        await db.machine.findMany({ where: { spaceId: ctx.space.id }, include, orderBy: { slug: 'asc' } }),
      )
    },
  )

  app.get(
    '/spaces/:space/machines/:machine',
    { schema: { tags: ['machines'], params: MachineParams, response: { 200: MachineOut, ...errorResponses } } },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space)
      return (await machinesOut(db, [await loadMachine(db, ctx.space.id, request.params.machine)]))[0]!
    },
  )

  app.post(
    '/spaces/:space/machines',
    {
      schema: {
        tags: ['machines'],
        summary: 'Add a machine (staff)',
        params: SpaceParams,
        body: Type.Object(
          { slug: Slug, ...Type.Partial(Type.Object(MachineFields)).properties, name: Name },
          { additionalProperties: false, required: ['slug', 'name'] },
        ),
        response: { 201: MachineOut, ...errorResponses, 409: Type.Ref('ErrorBody') },
      },
    },
    async (request, reply) => {
      const ctx = await spaceContext(db, request, request.params.space, 'staff')
      const { requiredTrainings = [], agent, ...fields } = request.body
      if (await db.machine.findUnique({ where: { spaceId_slug: { spaceId: ctx.space.id, slug: fields.slug } } })) {
        throw new AppError(409, 'ALREADY_EXISTS', `a machine "${fields.slug}" exists`)
      }
      const ids = await trainingIds(db, ctx.space.id, requiredTrainings)
      const machine = await db.machine.create({
        data: {
          ...fields,
          spaceId: ctx.space.id,
          agentId: await agentId(db, ctx.space.id, agent),
          trainings: { create: ids.map((trainingId) => ({ trainingId })) },
        },
      })
      await audit(db, ctx, 'machine.create', machine.slug)
      return reply.status(201).send((await machinesOut(db, [await loadMachine(db, ctx.space.id, machine.slug)]))[0]!)
    },
  )

  app.patch(
    '/spaces/:space/machines/:machine',
    {
      schema: {
        tags: ['machines'],
        summary: 'Change a machine: status, policy, required trainings, agent (staff)',
        params: MachineParams,
        body: Type.Partial(Type.Object(MachineFields), { additionalProperties: false }),
        response: { 200: MachineOut, ...errorResponses },
      },
    },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space, 'staff')
      const machine = await loadMachine(db, ctx.space.id, request.params.machine)
      const { requiredTrainings, agent, ...fields } = request.body
      const ids = requiredTrainings ? await trainingIds(db, ctx.space.id, requiredTrainings) : null
      const newAgent = await agentId(db, ctx.space.id, agent)
      await db.$transaction(async (tx) => {
        await tx.machine.update({ where: { id: machine.id }, data: { ...fields, agentId: newAgent } })
        if (ids) {
          await tx.machineTraining.deleteMany({ where: { machineId: machine.id } })
          await tx.machineTraining.createMany({
            data: ids.map((trainingId) => ({ machineId: machine.id, trainingId })),
          })
        }
      })
      if (fields.status && fields.status !== machine.status) {
        await audit(db, ctx, 'machine.status', machine.slug, { from: machine.status, to: fields.status })
      }
      await audit(db, ctx, 'machine.update', machine.slug, request.body)
      return (await machinesOut(db, [await loadMachine(db, ctx.space.id, machine.slug)]))[0]!
    },
  )

  app.delete(
    '/spaces/:space/machines/:machine',
    {
      schema: {
        tags: ['machines'],
        summary: 'Remove a machine with its bookings and logs (admin); prefer status out_of_service',
        params: MachineParams,
        response: { 200: Type.Object({ ok: Type.Literal(true) }), ...errorResponses },
      },
    },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space, 'admin')
      const machine = await loadMachine(db, ctx.space.id, request.params.machine)
      await db.machine.delete({ where: { id: machine.id } })
      await audit(db, ctx, 'machine.delete', machine.slug)
      return { ok: true as const }
    },
  )
}
