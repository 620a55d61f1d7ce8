// The demo panel's API: present a badge at a simulated reader, read the simulated relays.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { AppError, notFound } from '../lib/errors.js'
import { spaceContext } from '../services/space-access.js'
import { BadgeUid, errorResponses, Slug, SpaceParams } from './schemas.js'

export const simulatorRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const simulator = () => {
    if (!app.simulator) throw new AppError(404, 'NOT_FOUND', 'the simulator is not running (SIMULATOR=on)')
    return app.simulator
  }

  app.get(
    '/spaces/:space/simulator',
    {
      schema: {
        tags: ['simulator'],
        summary: 'Simulated machines and relays (staff; only when the simulator runs)',
        params: SpaceParams,
        response: {
          200: Type.Array(
            Type.Object({
              machine: Type.String(),
              state: Type.String(),
              relayOn: Type.Union([Type.Boolean(), Type.Null()]),
            }),
          ),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      await spaceContext(app.db, request, request.params.space, 'staff')
      const agent = simulator()
      return [...agent.controllers.values()].map((c) => ({
        machine: c.machine,
        state: c.state,
        relayOn: agent.devices.get(c.machine)?.relay.isOn ?? null,
      }))
    },
  )

  app.post(
    '/spaces/:space/simulator/tap',
    {
      schema: {
        tags: ['simulator'],
        summary: 'Present a badge at a simulated reader (staff; only when the simulator runs)',
        params: SpaceParams,
        body: Type.Object({ machine: Slug, badge: BadgeUid }, { additionalProperties: false }),
        response: { 202: Type.Object({ ok: Type.Literal(true) }), ...errorResponses },
      },
    },
    async (request, reply) => {
      await spaceContext(app.db, request, request.params.space, 'staff')
      const agent = simulator()
      if (!agent.devices.has(request.body.machine)) throw notFound(`simulated machine "${request.body.machine}"`)
      agent.tap(request.body.machine, request.body.badge.toUpperCase())
      return reply.status(202).send({ ok: true as const })
    },
  )
}
