import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { providerOf } from '../db/client.js'

const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded'), Type.Literal('error')]),
  database: Type.Object({ provider: Type.String(), ok: Type.Boolean() }),
  broker: Type.Object({ mode: Type.String(), state: Type.String() }),
  time: Type.String(),
})

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health',
    {
      schema: {
        tags: ['system'],
        summary: 'Liveness and dependencies',
        security: [],
        response: { 200: Health, 503: Health },
      },
    },
    async (_request, reply) => {
      const dbOk = await app.db.$queryRawUnsafe('SELECT 1').then(
        () => true,
        () => false,
      )
      const broker = { mode: app.mqttLink.mode, state: app.mqttLink.state }
      const brokerOk = broker.state === 'connected' || broker.state === 'disabled'
      const status = !dbOk ? 'error' : brokerOk ? 'ok' : 'degraded'
      return reply.status(dbOk ? 200 : 503).send({
        status,
        database: { provider: providerOf(app.config.databaseUrl), ok: dbOk },
        broker,
        time: new Date().toISOString(),
      })
    },
  )
}
