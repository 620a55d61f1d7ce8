import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { AppError, notFound } from '../lib/errors.js'
import { hashSecret, newSecret, verifyPassword } from '../lib/secrets.js'
import { openSession, requireCaller, SESSION_COOKIE } from '../plugins/auth.js'
import { Email, errorResponses, Id, Name, Ok } from './schemas.js'

const Me = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  memberships: Type.Array(
    Type.Object({
      id: Type.String(),
      role: Type.String(),
      suspended: Type.Boolean(),
      space: Type.Object({ slug: Type.String(), name: Type.String(), timeZone: Type.String() }),
    }),
  ),
})

const ApiTokenOut = Type.Object({
  id: Type.String(),
  name: Type.String(),
  createdAt: Type.String(),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
})

export const authRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = app.db
  const loadMe = async (personId: string) => {
    const person = await db.person.findUniqueOrThrow({
      where: { id: personId },
      include: { memberships: { include: { space: true }, orderBy: { createdAt: 'asc' } } },
    })
    return {
      id: person.id,
      email: person.email,
      name: person.name,
      memberships: person.memberships.map((m) => ({
        id: m.id,
        role: m.role,
        suspended: m.suspended,
        space: { slug: m.space.slug, name: m.space.name, timeZone: m.space.timeZone },
      })),
    }
  }

  app.post(
    '/auth/login',
    {
      config: {
        rateLimit: {
          max: app.config.loginAttemptsPerMinute,
          timeWindow: 60_000,
          hook: 'preHandler',
          // Per address and account: one attacker cannot lock everybody out, nor try many passwords on one account.
          keyGenerator: (request) =>
            `${request.ip}|${String((request.body as { email?: string })?.email ?? '').toLowerCase()}`,
        },
      },
      schema: {
        tags: ['auth'],
        summary: 'Log in with email and password: sets the session cookie, returns the CSRF token',
        security: [],
        body: Type.Object(
          { email: Email, password: Type.String({ minLength: 1, maxLength: 200 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ csrfToken: Type.String(), me: Me }),
          ...errorResponses,
          429: Type.Ref('ErrorBody'),
        },
      },
    },
    async (request, reply) => {
      const person = await db.person.findUnique({ where: { email: request.body.email.toLowerCase() } })
      const ok = await verifyPassword(request.body.password, person?.passwordHash ?? null)
      if (!person || !ok) throw new AppError(401, 'INVALID_CREDENTIALS')
      const csrfToken = await openSession(db, reply, person.id, {
        days: app.config.sessionDays,
        secure: app.config.secureCookies,
      })
      return { csrfToken, me: await loadMe(person.id) }
    },
  )

  app.post(
    '/auth/logout',
    { schema: { tags: ['auth'], summary: 'Close this browser session', response: { 200: Ok } } },
    async (request, response) => {
      if (request.caller?.sessionId) await db.authSession.deleteMany({ where: { id: request.caller.sessionId } })
      void response.clearCookie(SESSION_COOKIE, { path: '/' })
      return { ok: true as const }
    },
  )

  app.get(
    '/auth/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'The logged-in person and their spaces',
        response: { 200: Me, ...errorResponses },
      },
    },
    async (request) => loadMe(requireCaller(request).personId),
  )

  app.get(
    '/auth/tokens',
    {
      schema: {
        tags: ['auth'],
        summary: 'My API tokens',
        response: { 200: Type.Array(ApiTokenOut), ...errorResponses },
      },
    },
    async (request) => {
      const tokens = await db.apiToken.findMany({
        where: { personId: requireCaller(request).personId },
        orderBy: { createdAt: 'asc' },
      })
      return tokens.map((t) => ({
        id: t.id,
        name: t.name,
        createdAt: t.createdAt.toISOString(),
        lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
      }))
    },
  )

  app.post(
    '/auth/tokens',
    {
      schema: {
        tags: ['auth'],
        summary: 'Create an API token acting with my rights; the token is shown only in this response',
        body: Type.Object({ name: Name }, { additionalProperties: false }),
        response: {
          201: Type.Object({ id: Type.String(), name: Type.String(), token: Type.String() }),
          ...errorResponses,
        },
      },
    },
    async (request, response) => {
      const caller = requireCaller(request)
      const token = newSecret('fab_tok')
      const created = await db.apiToken.create({
        data: { personId: caller.personId, name: request.body.name, tokenHash: hashSecret(token) },
      })
      return response.status(201).send({ id: created.id, name: created.name, token })
    },
  )

  app.delete(
    '/auth/tokens/:id',
    {
      schema: {
        tags: ['auth'],
        summary: 'Revoke one of my API tokens',
        params: Type.Object({ id: Id }),
        response: { 200: Ok, ...errorResponses },
      },
    },
    async (request) => {
      const { count } = await db.apiToken.deleteMany({
        where: { id: request.params.id, personId: requireCaller(request).personId },
      })
      if (!count) throw notFound('token')
      return { ok: true as const }
    },
  )
}
