// Staff commands to agents: unlock or lock a machine remotely, make an agent identify
// itself, and "enrol next badge" (the next unknown badge tapped at that agent is given to
// a chosen member). Every command is audited with who sent it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { AppError, notFound } from '../lib/errors.js'
import type { AgentCommand } from '../mqtt/agent-link.js'
import { audit, findMember, spaceContext } from '../services/space-access.js'
import { errorResponses, Slug } from './schemas.js'

const Sent = Type.Object({ sent: Type.Literal(true), agent: Type.String() })
const MemberRef = Type.String({ minLength: 1, maxLength: 254, description: 'membership id, person id or email' })

export const commandRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = app.db
  const send = async (agent: string, command: AgentCommand) => {
    if (!app.agentLink) throw new AppError(503, 'SERVICE_UNAVAILABLE', 'the server has no MQTT broker')
    await app.agentLink.send(agent, command)
  }
  const machineAgent = async (spaceId: string, slug: string) => {
    const machine = await db.machine.findUnique({
      where: { spaceId_slug: { spaceId, slug } },
      include: { agent: true },
    })
    if (!machine) throw notFound(`machine "${slug}"`)
    if (!machine.agent) throw new AppError(409, 'MACHINE_NOT_CONNECTED', `${machine.name} is not driven by any agent`)
    return { machine, agent: machine.agent }
  }

  for (const action of ['unlock', 'lock'] as const) {
    app.post(
      `/spaces/:space/machines/:machine/${action}`,
      {
        schema: {
          tags: ['commands'],
          summary:
            action === 'unlock'
              ? 'Switch a machine on remotely (staff); optionally for a member, whose session it then is'
              : 'End the session and switch the machine off (staff); a when-idle machine is cut once idle',
          params: Type.Object({ space: Slug, machine: Slug }),
          body: Type.Object(action === 'unlock' ? { member: Type.Optional(MemberRef) } : {}, {
            additionalProperties: false,
          }),
          response: { 202: Sent, ...errorResponses, 409: Type.Ref('ErrorBody'), 503: Type.Ref('ErrorBody') },
        },
      },
      async (request, reply) => {
        const ctx = await spaceContext(db, request, request.params.space, 'staff')
        const { machine, agent } = await machineAgent(ctx.space.id, request.params.machine)
        const memberRef = (request.body as { member?: string }).member
        const member = memberRef ? await findMember(db, ctx.space.id, memberRef) : null
        const by = ctx.caller.email
        await send(
          agent.slug,
          action === 'unlock'
            ? { type: 'unlock', machine: machine.slug, member: member?.id, by }
            : { type: 'lock', machine: machine.slug, by },
        )
        await audit(db, ctx, `machine.${action}`, machine.slug, { agent: agent.slug, member: member?.person.email })
        return reply.status(202).send({ sent: true as const, agent: agent.slug })
      },
    )
  }

  app.post(
    '/spaces/:space/agents/:agent/identify',
    {
      schema: {
        tags: ['commands'],
        summary: 'Ask an agent to make itself known (LEDs blink, beeps) (staff)',
        params: Type.Object({ space: Slug, agent: Slug }),
        response: { 202: Sent, ...errorResponses, 503: Type.Ref('ErrorBody') },
      },
    },
    async (request, reply) => {
      const ctx = await spaceContext(db, request, request.params.space, 'staff')
      const agent = await db.agent.findFirst({ where: { slug: request.params.agent, spaceId: ctx.space.id } })
      if (!agent) throw notFound(`agent "${request.params.agent}"`)
      await send(agent.slug, { type: 'identify', by: ctx.caller.email })
      await audit(db, ctx, 'agent.identify', agent.slug)
      return reply.status(202).send({ sent: true as const, agent: agent.slug })
    },
  )

  app.post(
    '/spaces/:space/agents/:agent/enrol',
    {
      schema: {
        tags: ['commands'],
        summary: 'Enrol next badge: the next unknown badge tapped at this agent is given to the member (staff)',
        params: Type.Object({ space: Slug, agent: Slug }),
        body: Type.Object(
          { member: MemberRef, seconds: Type.Optional(Type.Integer({ minimum: 10, maximum: 3600, default: 120 })) },
          { additionalProperties: false },
        ),
        response: {
          202: Type.Object({ sent: Type.Literal(true), agent: Type.String(), until: Type.String() }),
          ...errorResponses,
          503: Type.Ref('ErrorBody'),
        },
      },
    },
    async (request, reply) => {
      const ctx = await spaceContext(db, request, request.params.space, 'staff')
      const agent = await db.agent.findFirst({ where: { slug: request.params.agent, spaceId: ctx.space.id } })
      if (!agent) throw notFound(`agent "${request.params.agent}"`)
      const member = await findMember(db, ctx.space.id, request.body.member)
      const until = new Date(Date.now() + (request.body.seconds ?? 120) * 1000)
      await db.agent.update({ where: { id: agent.id }, data: { enrolMemberId: member.id, enrolUntil: until } })
      await send(agent.slug, { type: 'enrol', member: member.id, until: until.toISOString(), by: ctx.caller.email })
      await audit(db, ctx, 'agent.enrol', agent.slug, { member: member.person.email, until: until.toISOString() })
      return reply.status(202).send({ sent: true as const, agent: agent.slug, until: until.toISOString() })
    },
  )
}
