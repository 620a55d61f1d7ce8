// The reads of every request (the caller, their membership and space, the planning version)
// are kept while the database's change stamp stands still, and read again after any write:
// this process's (before its answer returns), another connection's (SQLite's data_version,
// PostgreSQL's NOTIFY), on both databases (npm run test:postgres runs it on PostgreSQL).
// Requests go over HTTP, as clients send them: another connection's write shows to the
// requests read from their sockets after it (on SQLite the stamp is read once a turn).
import { once } from 'node:events'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  changeFeedOf,
  changeStamp,
  type Db,
  directReads,
  sqlitePath,
  sqliteStatementCounts,
} from '../../server/db/client.js'
import { StampedCache } from '../../server/db/stamped-cache.js'
import { changesHeard, usingPostgres } from '../helpers/database.js'
import { startTestServer, type TestClient, type TestServer } from '../helpers/server.js'

let server: TestServer
let staff: TestClient
let db: Db
let token: string
let origin: string

beforeAll(async () => {
  server = await startTestServer()
  origin = await server.app.listen({ port: 0, host: '127.0.0.1' })
  db = server.database.db
  staff = await server.as('staff@demo.fablab')
  const created = (await staff.post('/api/v1/auth/tokens', { name: 'kiosk' })).json()
  token = created.token
  // Used just now: no "last used" write (one a minute) behind the first request.
  await db.apiToken.update({ where: { id: created.id }, data: { lastUsedAt: new Date() } })
})
afterAll(() => server.close())

/** On PostgreSQL: the change feed listening (the first stamp asked for starts it). */
async function listening() {
  const feed = changeFeedOf(db)
  if (!feed || feed.isListening) return
  const up = once(feed, 'listening')
  changeStamp(db)
  await up
}

/**
 * A write from another connection than the server's, as a second instance or psql makes it;
 * on PostgreSQL, resolved once this instance heard of it (changesHeard), unless only
 * its commit is awaited.
 */
async function writeElsewhere(sql: string, options = { await: 'heard' as 'heard' | 'committed' }) {
  if (!usingPostgres()) {
    const other = new Database(sqlitePath(server.database.url))
    try {
      other.exec(sql)
    } finally {
      other.close()
    }
    return
  }
  const other = new pg.Client({ connectionString: server.database.url })
  await other.connect()
  try {
    await other.query(sql)
    if (options.await === 'heard') await changesHeard(db, server.database.url, other)
  } finally {
    await other.end()
  }
}

/** A GET over HTTP with an API token: status and body. */
async function withToken(url: string, bearer = token) {
  const res = await fetch(`${origin}${url}`, { headers: { authorization: `Bearer ${bearer}` } })
  const body = await res.text()
  return { statusCode: res.status, body, json: () => JSON.parse(body) }
}
const planning = '/api/v1/spaces/demo/bookings'

describe('reads kept between requests', () => {
  it('answers the same caller, membership and planning again without reading the database', async () => {
    await listening()
    await changesHeard(db, server.database.url) // the setup's own writes, heard late, would look like a change
    const first = await withToken(planning)
    expect(first.statusCode).toBe(200)
    const reads = directReads(db)
    const again = await withToken(planning)
    expect(again.statusCode).toBe(200)
    expect(again.body).toBe(first.body)
    expect(directReads(db)).toBe(reads)
  })

  it("shows this process's write in the very next answer", async () => {
    await listening()
    const before = (await withToken(planning)).json() as unknown[]
    const stamp = changeStamp(db)
    const created = await staff.post('/api/v1/spaces/demo/bookings', {
      machine: 'laser-1',
      start: new Date(Date.now() + 3 * 86_400_000).toISOString(),
      end: new Date(Date.now() + 3 * 86_400_000 + 3_600_000).toISOString(),
    })
    expect(created.statusCode).toBe(201)
    // Changed once the write returned: not when a notification happens to arrive.
    expect(changeStamp(db)).not.toBe(stamp)
    const after = (await withToken(planning)).json() as { id: string }[]
    expect(after).toHaveLength(before.length + 1)
    expect(after.map((b) => b.id)).toContain(created.json().id)
  })

  it("refuses a token revoked by another connection's write", async () => {
    await listening()
    const other = (await staff.post('/api/v1/auth/tokens', { name: 'revoked elsewhere' })).json()
    expect((await withToken(planning, other.token)).statusCode).toBe(200)
    await writeElsewhere(`DELETE FROM "ApiToken" WHERE "id" = '${other.id}'`)
    const refused = await withToken(planning, other.token)
    expect(refused.statusCode).toBe(401)
  })

  it("shows a role changed by another connection's write", async () => {
    await listening()
    const maker = await server.as('alice@demo.fablab')
    const makerToken = (await maker.post('/api/v1/auth/tokens', { name: 'alice' })).json().token
    expect((await withToken('/api/v1/spaces/demo/members', makerToken)).statusCode).toBe(403)
    await writeElsewhere(
      `UPDATE "Membership" SET "role" = 'staff' WHERE "personId" = (SELECT "id" FROM "Person" WHERE "email" = 'alice@demo.fablab')`,
    )
    expect((await withToken('/api/v1/spaces/demo/members', makerToken)).statusCode).toBe(200)
  })

  if (usingPostgres()) {
    it('keeps nothing while it does not hear the database, and listens again', async () => {
      await listening()
      const feed = changeFeedOf(db)!
      const down = once(feed, 'down')
      await writeElsewhere(
        `SELECT pg_terminate_backend("pid") FROM pg_stat_activity
         WHERE "datname" = current_database() AND "query" = 'LISTEN fablab_changes'`,
        { await: 'committed' },
      )
      await down
      expect(changeStamp(db)).toBeNull()
      const other = (await staff.post('/api/v1/auth/tokens', { name: 'revoked unheard' })).json()
      expect((await withToken(planning, other.token)).statusCode).toBe(200)
      // No notification can reach this instance now: the next request reads the database.
      await writeElsewhere(`DELETE FROM "ApiToken" WHERE "id" = '${other.id}'`)
      expect((await withToken(planning, other.token)).statusCode).toBe(401)
      await once(feed, 'listening')
      expect(changeStamp(db)).not.toBeNull()
    })
  } else {
    it("reads the stamp once a turn of the event loop, and again once it ran one of Prisma's statements", async () => {
      const counts = sqliteStatementCounts(db)!
      await new Promise(setImmediate)
      const reads = counts.stamps
      const stamp = changeStamp(db)
      // Dozens of requests read in one turn share one read (each asks three or four times).
      for (let i = 0; i < 10; i++) expect(changeStamp(db)).toBe(stamp)
      expect(counts.stamps).toBe(reads + 1)
      await new Promise(setImmediate)
      expect(changeStamp(db)).toBe(stamp)
      expect(counts.stamps).toBe(reads + 2)
      // A write of this process shows at once, in the same turn: no request may answer from before it.
      let turnEnded = false
      setImmediate(() => {
        turnEnded = true
      })
      await db.person.update({ where: { email: 'bob@demo.fablab' }, data: { name: 'Bob D.' } })
      const updated = changeStamp(db)
      expect(updated).not.toBe(stamp)
      await db.$executeRaw`UPDATE "Person" SET "name" = 'Bob Durand' WHERE "email" = 'bob@demo.fablab'`
      expect(changeStamp(db)).not.toBe(updated)
      expect(turnEnded).toBe(false)
    })

    it('keeps nothing inside an open transaction, whose writes the connection sees uncommitted', async () => {
      expect(changeStamp(db)).not.toBeNull()
      await db.$transaction(async (tx) => {
        await tx.person.update({ where: { email: 'alice@demo.fablab' }, data: { name: 'Alice (pending)' } })
        expect(changeStamp(db)).toBeNull()
      })
      expect(changeStamp(db)).not.toBeNull()
    })
  }
})

describe('stamped cache', () => {
  it('reads again after ten seconds under the same stamp, and keeps frozen copies', async () => {
    const cache = new StampedCache<{ n: number; nested: { m: number } }>()
    let reads = 0
    const read = async () => ({ n: ++reads, nested: { m: reads } })
    const now = vi.spyOn(Date, 'now')
    try {
      now.mockReturnValue(1_000_000)
      const kept = await cache.get(db, 'k', read)
      expect(await cache.get(db, 'k', read)).toBe(kept)
      expect(Object.isFrozen(kept.nested)).toBe(true)
      now.mockReturnValue(1_000_000 + 10_000)
      expect((await cache.get(db, 'k', read)).n).toBe(2)
    } finally {
      now.mockRestore()
    }
  })
})
