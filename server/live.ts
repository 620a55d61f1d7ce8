// Live updates to browsers over socket.io. A socket authenticates like the API (session
// cookie, or an API token in `auth.token`) and joins one room per space it belongs to,
// plus a staff room where it is staff: makers see machine states and bookings, staff
// also see who badged and why a tap was refused. With PostgreSQL, the postgres adapter
// carries every emit to the sockets of the other server instances too.
import { createAdapter } from '@socket.io/postgres-adapter'
import type { FastifyInstance } from 'fastify'
import pg from 'pg'
import { Server } from 'socket.io'
import type { Db } from './db/client.js'
import { callerFromSessionCookie, callerFromToken, SESSION_COOKIE } from './plugins/auth.js'
import { atLeast } from './services/space-access.js'

export type LiveAudience = 'members' | 'staff'

/** The events pushed to browsers; the payloads are documented with their emitters. */
export type LiveEvent =
  | 'machine.state'
  | 'session.started'
  | 'session.ended'
  | 'access.decision'
  | 'booking.changed'
  | 'agent.status'

const room = (spaceId: string, audience: LiveAudience) =>
  audience === 'staff' ? `space:${spaceId}:staff` : `space:${spaceId}`

export class Live {
  private pool: pg.Pool | null = null
  readonly io: Server
  /** Space slugs by id, resolved once: every push names its space. */
  private slugs = new Map<string, Promise<string | null>>()

  constructor(
    app: FastifyInstance,
    private db: Db,
    postgresUrl: string | null,
  ) {
    this.io = new Server(app.server, { serveClient: false, cors: { origin: false } })
    if (postgresUrl) {
      this.pool = new pg.Pool({ connectionString: postgresUrl, max: 2 })
      this.pool.on('error', (error) => app.log.warn({ err: error }, 'live: postgres adapter error'))
      // A checked-out client (the adapter's LISTEN) reports a dropped connection on itself:
      // without a listener that would crash the process when PostgreSQL restarts.
      this.pool.on('connect', (client) =>
        client.on('error', (error) => app.log.warn({ err: error }, 'live: postgres adapter connection lost')),
      )
      this.io.adapter(createAdapter(this.pool))
    }
    this.io.use((socket, next) => {
      const authenticate = async () => {
        const token = (socket.handshake.auth as { token?: unknown }).token
        if (typeof token === 'string') return callerFromToken(db, token)
        const cookies = app.parseCookie(socket.handshake.headers.cookie ?? '')
        return callerFromSessionCookie(db, cookies[SESSION_COOKIE], (v) => app.unsignCookie(v))
      }
      authenticate().then(
        async (caller) => {
          if (!caller) return next(new Error('UNAUTHENTICATED'))
          const memberships = await db.membership.findMany({ where: { personId: caller.personId } })
          for (const m of memberships) {
            await socket.join(room(m.spaceId, 'members'))
            if (atLeast(m.role, 'staff')) await socket.join(room(m.spaceId, 'staff'))
          }
          next()
        },
        (error: Error) => next(error),
      )
    })
  }

  /** The adapter's table must exist before the first emit (PostgreSQL only). */
  async ready() {
    await this.pool?.query(
      'CREATE TABLE IF NOT EXISTS socket_io_attachments (id bigserial UNIQUE, created_at timestamptz DEFAULT NOW(), payload bytea)',
    )
  }

  /**
   * Pushes to the space's room. The payload carries the space's slug: a browser of someone in
   * several spaces is in several rooms, and machine slugs are unique only within a space.
   */
  emit(spaceId: string, event: LiveEvent, payload: object, audience: LiveAudience = 'members') {
    let slug = this.slugs.get(spaceId)
    if (!slug) {
      slug = this.db.space
        .findUnique({ where: { id: spaceId }, select: { slug: true } })
        .then((s) => s?.slug ?? null)
        .catch(() => null)
      this.slugs.set(spaceId, slug)
    }
    // Pushes of one space wait on the same lookup, so they keep their order.
    void slug.then((space) => this.io.to(room(spaceId, audience)).emit(event, { ...payload, space }))
  }

  /** Disconnects the browsers; the HTTP server itself is Fastify's to close. */
  async close() {
    this.io.disconnectSockets(true)
    this.io.engine.close()
    await this.io.of('/').adapter.close()
    await this.pool?.end()
  }
}
