// Builds the whole server as one Fastify instance without listening, so tests use
// app.inject() or a real port alike. server/main.ts listens and shuts down.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import cookie from '@fastify/cookie'
import rateLimit from '@fastify/rate-limit'
import fastifyStatic from '@fastify/static'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Agent } from '../agent/agent.js'
import type { AppConfig } from './config.js'
import { type Db, openDb, providerOf } from './db/client.js'
import { Live } from './live.js'
import { AgentLink } from './mqtt/agent-link.js'
import { MqttLink } from './mqtt/link.js'
import { RightsPublisher } from './mqtt/rights-publisher.js'
import { registerAuth } from './plugins/auth.js'
import { registerErrorHandling } from './plugins/errors.js'
import { apiRoutes } from './routes/index.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: Db
    config: AppConfig
    mqttLink: MqttLink
    live: Live
    rights: RightsPublisher
    /** null when the server runs without a broker. */
    agentLink: AgentLink | null
    /** The demo's simulated agent, when SIMULATOR=on (set by server/main.ts). */
    simulator: Agent | null
  }
  interface FastifyRequest {
    /**
     * Set by a route whose write can change the decisions of some agents only (a booking:
     * the agent driving its machine): the rights hook republishes those, not the space's.
     */
    rightsScope: { agentIds: string[] } | null
  }
}

export interface BuildOptions {
  /** An open database to use instead of opening config.databaseUrl (closed by the caller). */
  db?: Db
  /** The broker the server connects to; default: config.mqttUrl, else none. */
  mqtt?: { url: string | null; mode: 'embedded' | 'external' | 'disabled'; username?: string; password?: string }
}

export async function buildApp(config: AppConfig, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
    bodyLimit: config.bodyLimitBytes,
    trustProxy: true,
    ajv: {
      // Unknown fields are refused, not silently dropped: a typo must not look accepted.
      customOptions: { removeAdditional: false, allErrors: true, coerceTypes: 'array', useDefaults: true },
    },
  }).withTypeProvider<TypeBoxTypeProvider>()

  const db = options.db ?? (await openDb(config.databaseUrl))
  const mqttOptions = options.mqtt ?? { url: config.mqttUrl, mode: config.mqttUrl ? 'external' : 'disabled' }
  const mqttLink = new MqttLink(mqttOptions.url, mqttOptions.mode, mqttOptions.username, mqttOptions.password)
  app.decorate('db', db)
  app.decorate('simulator', null)
  app.decorate('config', config)
  app.decorate('mqttLink', mqttLink)
  const rights = new RightsPublisher(
    db,
    () => mqttLink.client,
    (error) => app.log.error({ err: error }, 'rights: publish failed'),
  )
  app.decorate('rights', rights)
  // Any successful write in a space may change what its agents decide: one hook, so no
  // route can forget it; unchanged snapshots keep their version (content hash).
  app.decorateRequest('rightsScope', null)
  app.addHook('onResponse', async (request, reply) => {
    const slug = (request.params as { space?: string } | undefined)?.space
    if (request.method === 'GET' || reply.statusCode >= 400 || !slug) return
    if (request.rightsScope) {
      if (request.rightsScope.agentIds.length) void rights.agentsChanged(request.rightsScope.agentIds)
      return
    }
    const space = await db.space.findUnique({ where: { slug }, select: { id: true } })
    if (space) void rights.spaceChanged(space.id)
  })
  app.addHook('onClose', async () => {
    rights.close()
    await mqttLink.close()
    if (!options.db) await db.$disconnect()
  })

  registerErrorHandling(app)
  await app.register(cookie, { secret: config.sessionSecret })
  await app.register(rateLimit, { global: false })
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Fablab access API',
        version: '1',
        description:
          'Spaces, members, badges, trainings, machines, bookings, usage logs. Cookie sessions (POST /auth/login, then send x-csrf-token on writes) or `Authorization: Bearer <API token>`.',
      },
      components: {
        securitySchemes: {
          cookie: { type: 'apiKey', in: 'cookie', name: 'fablab_session' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ cookie: [] }, { bearer: [] }],
    },
  })
  await app.register(swaggerUi, { routePrefix: '/api/docs' })
  registerAuth(app, db)
  const live = new Live(app, db, providerOf(config.databaseUrl) === 'postgresql' ? config.databaseUrl : null)
  app.decorate('live', live)
  app.addHook('onReady', () => live.ready())
  app.decorate(
    'agentLink',
    mqttLink.client
      ? new AgentLink(db, mqttLink.client, live, app.log, config.mqttSharedGroup, (spaceId) => {
          void rights.spaceChanged(spaceId)
        })
      : null,
  )
  app.addHook('preClose', () => live.close())
  await app.register(apiRoutes, { prefix: '/api/v1' })
  await registerWeb(app, config)
  return app
}

async function registerWeb(app: FastifyInstance, config: AppConfig) {
  if (config.webDist && existsSync(join(config.webDist, 'index.html'))) {
    await app.register(fastifyStatic, { root: config.webDist, wildcard: false })
  }
  // The single-page app answers every other GET path that is not the API.
  app.setNotFoundHandler((request, reply) => {
    if (request.method === 'GET' && !request.url.startsWith('/api/') && request.headers.accept?.includes('html')) {
      if (config.webDist) return reply.sendFile('index.html')
      return reply
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><html lang="fr"><title>FabLab</title><h1>FabLab</h1><p>Interface web non construite : <code>npm run build:web</code>. API : <a href="/api/docs">/api/docs</a></p></html>',
        )
    }
    return reply.status(404).send({
      statusCode: 404,
      code: 'NOT_FOUND',
      error: 'Not Found',
      message: `no route ${request.method} ${request.url.split('?')[0]}`,
    })
  })
}
