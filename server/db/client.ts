// Opens the database named by DATABASE_URL with the matching Prisma client and driver
// adapter. The application is written against one client type (the SQLite one): both
// clients are generated from the same schema, so their APIs are the same.
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3'
import type BetterSqlite3 from 'better-sqlite3'
import { PrismaClient } from './generated/sqlite/client.js'

export type Db = PrismaClient
export type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0]
export type Provider = 'sqlite' | 'postgresql'

export function providerOf(url: string): Provider {
  if (url.startsWith('file:')) return 'sqlite'
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgresql'
  throw new Error(`DATABASE_URL must start with file: (SQLite) or postgresql:// (got "${url.split(':')[0]}:")`)
}

/** The file path of a SQLite URL (file:./data/fablab.db → ./data/fablab.db). */
export function sqlitePath(url: string): string {
  return url.slice('file:'.length).split('?')[0] ?? ''
}

/** Compiled SQLite statements kept, by SQL text (Prisma sends a bounded set; IN lists vary). */
const STATEMENT_CACHE_SIZE = 500

export interface StatementCounts {
  /** Statements compiled by SQLite. */
  compiled: number
  /** Calls answered by a statement compiled earlier. */
  reused: number
}
const statementCounts = new WeakMap<object, StatementCounts>()

/** How often this SQLite database compiled a statement and reused one (null on PostgreSQL). */
export const sqliteStatementCounts = (db: Db): StatementCounts | null => statementCounts.get(db) ?? null

/**
 * Prisma's better-sqlite3 adapter compiles every statement it runs again and throws it away.
 * Compiling was the largest single cost of a write (a Machine or Booking update compiles the
 * planning triggers with it): the connection keeps its compiled statements and binds each
 * call's values to them. The adapter uses prepare(sql).bind(args) then reader / columns() /
 * raw().all() / run(); a compiled statement takes values only once through bind(), so the
 * values go to run() and all() instead.
 */
function reuseStatements(client: BetterSqlite3.Database, counts: StatementCounts) {
  const compile = client.prepare.bind(client)
  const compiled = new Map<string, BetterSqlite3.Statement>()
  const withValues = (statement: BetterSqlite3.Statement, values: unknown[]) => ({
    reader: statement.reader,
    bind: (...args: unknown[]) => withValues(statement, args.length === 1 && Array.isArray(args[0]) ? args[0] : args),
    columns: () => statement.columns(),
    raw: () => ({ all: () => statement.raw(true).all(...values) }),
    run: () => statement.run(...values),
  })
  client.prepare = ((sql: string) => {
    let statement = compiled.get(sql)
    if (statement) {
      counts.reused++
    } else {
      statement = compile(sql)
      counts.compiled++
      if (compiled.size >= STATEMENT_CACHE_SIZE) compiled.delete(compiled.keys().next().value!)
      compiled.set(sql, statement)
    }
    return withValues(statement, [])
  }) as unknown as typeof client.prepare
}

export async function openDb(url: string): Promise<Db> {
  if (providerOf(url) === 'sqlite') {
    const path = sqlitePath(url)
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
    const adapter = new PrismaBetterSqlite3({ url: path })
    const counts: StatementCounts = { compiled: 0, reused: 0 }
    const connect = adapter.connect.bind(adapter)
    adapter.connect = async () => {
      const connection = await connect()
      reuseStatements((connection as unknown as { client: BetterSqlite3.Database }).client, counts)
      return connection
    }
    const db = new PrismaClient({ adapter })
    statementCounts.set(db, counts)
    return db
  }
  const [{ PrismaClient: PgClient }, { PrismaPg }] = await Promise.all([
    import('./generated/postgres/client.js'),
    import('@prisma/adapter-pg'),
  ])
  return new PgClient({ adapter: new PrismaPg({ connectionString: url }) }) as unknown as Db
}
