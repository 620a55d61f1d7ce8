// Who is calling: a browser session (httpOnly cookie + CSRF header on writes), or an API
// token (Authorization: Bearer, no CSRF). Agents have their own credentials (agents route).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { type Db, hotRows } from '../db/client.js'
import { Prisma } from '../db/generated/sqlite/client.js'
import { StampedCache } from '../db/stamped-cache.js'
import { AppError } from '../lib/errors.js'
import { hashSecret, newSecret } from '../lib/secrets.js'

export const SESSION_COOKIE = 'fablab_session'

export interface Caller {
  personId: string
  email: string
  name: string
  via: 'cookie' | 'token'
  sessionId?: string
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null
  }
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS'])

interface TokenRow {
  id: string
  personId: string
  lastUsedAt: Date | null
  email: string
  name: string
}
interface SessionRow {
  id: string
  personId: string
  csrfToken: string
  expiresAt: Date
  email: string
  name: string
}
/** Rows behind credentials, by the credential's hash (never the secret itself). */
const tokenRows = new StampedCache<TokenRow | null>()
const sessionRows = new StampedCache<SessionRow | null>()

/**
 * The caller behind an API token, or null. Every API request asks: one hot read with its
 * join, none while the database has not changed since the last one.
 */
export async function callerFromToken(db: Db, token: string): Promise<Caller | null> {
  const tokenHash = hashSecret(token)
  const row = await tokenRows.get(db, tokenHash, async () => {
    const [found] = await hotRows<TokenRow>(
      db,
      Prisma.sql`SELECT t."id", t."personId", t."lastUsedAt", p."email", p."name"
      FROM "ApiToken" t JOIN "Person" p ON p."id" = t."personId"
      WHERE t."tokenHash" = ${tokenHash}`,
    )
    return found ?? null
  })
  if (!row) return null
  // "Last used" to the minute: a write on every request would serialise all reads behind it.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000)
    void db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } }).catch(() => {})
  return { personId: row.personId, email: row.email, name: row.name, via: 'token' }
}

/** The caller behind a signed session cookie value, with the session's CSRF token. */
export async function callerFromSessionCookie(
  db: Db,
  signedValue: string | undefined,
  unsign: (value: string) => { valid: boolean; value: string | null },
): Promise<(Caller & { csrfToken: string }) | null> {
  if (!signedValue) return null
  const unsigned = unsign(signedValue)
  if (!unsigned.valid || !unsigned.value) return null
  const sessionId = hashSecret(unsigned.value)
  const session = await sessionRows.get(db, sessionId, async () => {
    const [found] = await hotRows<SessionRow>(
      db,
      Prisma.sql`SELECT s."id", s."personId", s."csrfToken", s."expiresAt", p."email", p."name"
      FROM "AuthSession" s JOIN "Person" p ON p."id" = s."personId"
      WHERE s."id" = ${sessionId}`,
    )
    return found ?? null
  })
  // Expiry is checked on every request: a kept session row expires on time.
  if (!session || session.expiresAt.getTime() <= Date.now()) return null
  return {
    personId: session.personId,
    email: session.email,
    name: session.name,
    via: 'cookie',
    sessionId: session.id,
    csrfToken: session.csrfToken,
  }
}

export function registerAuth(app: FastifyInstance, db: Db) {
  app.decorateRequest('caller', null)
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization
    if (header?.startsWith('Bearer ')) {
      // Not a person's token (an agent's credential, or a bad one): routes decide.
      request.caller = await callerFromToken(db, header.slice(7).trim())
      return
    }
    const session = await callerFromSessionCookie(db, request.cookies[SESSION_COOKIE], (v) => request.unsignCookie(v))
    if (!session) return
    if (!safeMethods.has(request.method) && request.headers['x-csrf-token'] !== session.csrfToken) {
      throw new AppError(403, 'CSRF_FAILED')
    }
    const { csrfToken: _, ...caller } = session
    request.caller = caller
  })
}

export function requireCaller(request: FastifyRequest): Caller {
  if (!request.caller) {
    throw new AppError(401, 'UNAUTHENTICATED', request.headers.authorization ? 'invalid API token' : undefined)
  }
  return request.caller
}

/** Opens a browser session: sets the cookie, returns the CSRF token for the client. */
export async function openSession(
  db: Db,
  reply: FastifyReply,
  personId: string,
  opts: { days: number; secure: boolean },
): Promise<string> {
  const token = newSecret('fab_sess')
  const csrfToken = newSecret('fab_csrf')
  const expiresAt = new Date(Date.now() + opts.days * 86_400_000)
  await db.authSession.create({ data: { id: hashSecret(token), personId, csrfToken, expiresAt } })
  void reply.setCookie(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: opts.secure,
    signed: true,
    expires: expiresAt,
  })
  return csrfToken
}
