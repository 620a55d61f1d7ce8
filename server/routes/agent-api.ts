// What agents call over HTTPS, authenticated by their own credential
// (Authorization: Bearer <credential>), never by a person's session or token.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { AppError } from '../lib/errors.js'
import { hashSecret } from '../lib/secrets.js'
import { currentRights } from '../services/rights.js'
import { Slug } from './schemas.js'

async function authenticateAgent(request: FastifyRequest, slug: string) {
  const header = request.headers.authorization
  const secret = header?.startsWith('Bearer ') ? header.slice(7).trim() : ''
  const agent = await request.server.db.agent.findUnique({ where: { slug } })
  if (!agent || !secret || agent.credentialHash !== hashSecret(secret)) {
    throw new AppError(401, 'UNAUTHENTICATED', 'this agent credential is not valid')
  }
  return agent
}

export const agentApiRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/agents/:agent/rights',
    {
      schema: {
        tags: ['agent link'],
        summary:
          "The agent's rights snapshot (agent credential). ETag / If-None-Match and ?since=<version> answer 304 when unchanged.",
        security: [{ bearer: [] }],
        params: Type.Object({ agent: Slug }),
        querystring: Type.Object(
          { since: Type.Optional(Type.Integer({ minimum: 0 })) },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const agent = await authenticateAgent(request, request.params.agent)
      const snapshot = await currentRights(app.db, agent.id)
      const etag = `"${snapshot.version}-${snapshot.hash.slice(0, 16)}"`
      void reply.header('etag', etag).header('cache-control', 'no-cache')
      if (request.headers['if-none-match'] === etag || request.query.since === snapshot.version) {
        return reply.status(304).send()
      }
      return snapshot
    },
  )
}
