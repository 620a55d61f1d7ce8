// Applies the committed migrations (prisma/migrations/{sqlite,postgres}) at start.
// It keeps Prisma's own `_prisma_migrations` table and checksums, so `prisma migrate
// deploy` and `prisma migrate status` agree with it wherever the native engine exists;
// here it needs no engine at all (see prisma/make-migration.ts for how migrations are made).
import { createHash, randomUUID } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { providerOf, sqlitePath } from './client.js'

const migrationsRoot = join(import.meta.dirname, '../../prisma/migrations')

interface Migration {
  name: string
  sql: string
  checksum: string
}

function migrationsFor(folder: 'sqlite' | 'postgres'): Migration[] {
  const dir = join(migrationsRoot, folder)
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8')
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') }
    })
}

function checkApplied(applied: Map<string, string>, migration: Migration) {
  const checksum = applied.get(migration.name)
  if (checksum !== undefined && checksum !== migration.checksum) {
    throw new Error(`migration ${migration.name} was changed after it was applied (checksum differs)`)
  }
  return checksum !== undefined
}

/** Applies pending migrations; returns the names applied. Safe to call on every start. */
export async function migrate(url: string): Promise<string[]> {
  return providerOf(url) === 'sqlite' ? migrateSqlite(sqlitePath(url)) : migratePostgres(url)
}

function migrateSqlite(path: string): string[] {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path)
  try {
    // WAL lets readers go on while a writer commits; it is a property of the file and sticks.
    db.pragma('journal_mode = WAL')
    db.exec(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "finished_at" DATETIME,
      "migration_name" TEXT NOT NULL, "logs" TEXT, "rolled_back_at" DATETIME,
      "started_at" DATETIME NOT NULL DEFAULT current_timestamp, "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0)`)
    const rows = db
      .prepare(
        'SELECT migration_name, checksum FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
      )
      .all() as { migration_name: string; checksum: string }[]
    const applied = new Map(rows.map((r) => [r.migration_name, r.checksum]))
    const done: string[] = []
    for (const m of migrationsFor('sqlite')) {
      if (checkApplied(applied, m)) continue
      db.transaction(() => {
        db.exec(m.sql)
        db.prepare(
          'INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at, applied_steps_count) VALUES (?, ?, ?, ?, ?, 1)',
        ).run(randomUUID(), m.checksum, Date.now(), m.name, Date.now())
      })()
      done.push(m.name)
    }
    return done
  } finally {
    db.close()
  }
}

async function migratePostgres(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    // Several server instances may start together: one migrates, the others wait.
    await client.query('SELECT pg_advisory_lock(72707369)')
    await client.query(`CREATE TABLE IF NOT EXISTS _prisma_migrations (
      id VARCHAR(36) PRIMARY KEY NOT NULL, checksum VARCHAR(64) NOT NULL, finished_at TIMESTAMPTZ,
      migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at TIMESTAMPTZ,
      started_at TIMESTAMPTZ NOT NULL DEFAULT now(), applied_steps_count INTEGER NOT NULL DEFAULT 0)`)
    const { rows } = await client.query<{ migration_name: string; checksum: string }>(
      'SELECT migration_name, checksum FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    )
    const applied = new Map(rows.map((r) => [r.migration_name, r.checksum]))
    const done: string[] = []
    for (const m of migrationsFor('postgres')) {
      if (checkApplied(applied, m)) continue
      await client.query('BEGIN')
      try {
        await client.query(m.sql)
        await client.query(
          'INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at, applied_steps_count) VALUES ($1, $2, now(), $3, now(), 1)',
          [randomUUID(), m.checksum, m.name],
        )
        await client.query('COMMIT')
      } catch (error) {
        await client.query('ROLLBACK')
        throw error
      }
      done.push(m.name)
    }
    return done
  } finally {
    await client.query('SELECT pg_advisory_unlock(72707369)').catch(() => {})
    await client.end()
  }
}
