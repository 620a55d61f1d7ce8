// A throw-away database per test file: a SQLite file in a temp folder by default, or a
// fresh PostgreSQL database when TEST_DATABASE_URL names a server (CI sets it when
// PostgreSQL answers), dropped afterwards.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { CHANGE_CHANNEL, type PgChangeFeed } from '../../server/db/change-feed.js'
import { changeFeedOf, type Db, openDb } from '../../server/db/client.js'
import { migrate } from '../../server/db/migrate.js'
import { seedDemoIfEmpty } from '../../server/db/seed.js'

export interface TestDatabase {
  url: string
  provider: 'sqlite' | 'postgresql'
  db: Db
  drop(): Promise<void>
}

export const usingPostgres = () => Boolean(process.env.TEST_DATABASE_URL)

export async function createTestDatabase(options: { seed?: boolean } = {}): Promise<TestDatabase> {
  const base = process.env.TEST_DATABASE_URL
  let url: string
  let cleanup: () => Promise<void>
  if (base) {
    const name = `fablab_test_${randomBytes(6).toString('hex')}`
    const admin = new pg.Client({ connectionString: base })
    await admin.connect()
    await admin.query(`CREATE DATABASE ${name}`)
    await admin.end()
    const u = new URL(base)
    u.pathname = `/${name}`
    url = u.toString()
    cleanup = async () => {
      const c = new pg.Client({ connectionString: base })
      await c.connect()
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await c.end()
    }
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'fablab-test-'))
    url = `file:${join(dir, 'test.db')}`
    cleanup = async () => rmSync(dir, { recursive: true, force: true })
  }
  await migrate(url)
  const db = await openDb(url)
  if (options.seed !== false) await seedDemoIfEmpty(db)
  return {
    url,
    provider: base ? 'postgresql' : 'sqlite',
    db,
    drop: async () => {
      await db.$disconnect()
      await cleanup()
    },
  }
}

/**
 * PostgreSQL: resolves once `db`'s change feed heard every change committed so far (a write
 * of another instance, another connection's): notifications arrive in
 * commit order, so a tag notified now arrives after theirs. At once on SQLite, or while the
 * feed is not up.
 */
export async function changesHeard(db: Db, url: string, connection?: pg.Client): Promise<void> {
  const feed = changeFeedOf(db)
  if (!feed?.isListening) return
  if (!connection) {
    const other = new pg.Client({ connectionString: url })
    await other.connect()
    return changesHeard(db, url, other).finally(() => other.end())
  }
  const tag = `heard-${randomBytes(6).toString('hex')}`
  const heard = notificationHeard(feed, tag)
  await connection.query('SELECT pg_notify($1, $2)', [CHANGE_CHANNEL, tag])
  await heard
}

/** Resolves when `feed` hears a notification with this payload (listen before it is sent). */
export function notificationHeard(feed: PgChangeFeed, payload: string): Promise<void> {
  return new Promise((resolve) => {
    const onChange = (heard: string) => {
      if (heard !== payload) return
      feed.off('change', onChange)
      resolve()
    }
    feed.on('change', onChange)
  })
}
