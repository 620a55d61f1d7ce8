// A throw-away database per test file: a SQLite file in a temp folder by default, or a
// fresh PostgreSQL database when TEST_DATABASE_URL names a server (CI sets it when
// PostgreSQL answers), dropped afterwards.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { type Db, openDb } from '../../server/db/client.js'
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
