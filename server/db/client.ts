// Opens the database named by DATABASE_URL with the matching Prisma client and driver
// adapter. The application is written against one client type (the SQLite one): both
// clients are generated from the same schema, so their APIs are the same.
import { createHash } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3'
import type BetterSqlite3 from 'better-sqlite3'
import pg from 'pg'
import { CHANGE_CHANNEL, PgChangeFeed } from './change-feed.js'
import { type Prisma, PrismaClient } from './generated/sqlite/client.js'

export type Db = PrismaClient
export type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0]
export type Provider = 'sqlite' | 'postgresql'

export function providerOf(url: string): Provider {
  if (url.startsWith('file:')) return 'sqlite'
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgresql'
  throw new Error(`DATABASE_URL must start with file: (SQLite) or postgresql:// (got "${url.split(':')[0]}:")`)
}

/**
 * A write lost to a unique key another writer (an instance, a transaction) got first:
 * P2002 from Prisma's own writes, P2010 with the driver's kind from raw ones.
 */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; meta?: { driverAdapterError?: { cause?: { kind?: string } } } }
  return e.code === 'P2002' || e.meta?.driverAdapterError?.cause?.kind === 'UniqueConstraintViolation'
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
  /** Hot reads answered by the connection itself (see hotRows). */
  direct: number
  /** Change stamps read from the database (see changeStamp). */
  stamps: number
}

/** A hot read's statement, and how to give its values the types Prisma gives them. */
interface HotStatement {
  statement: BetterSqlite3.Statement
  convert: (row: Record<string, unknown>) => Record<string, unknown>
}

/** The connection Prisma opened on a SQLite file, as this module keeps it. */
interface SqliteConnection {
  counts: StatementCounts
  client: BetterSqlite3.Database | null
  compile: (sql: string) => BetterSqlite3.Statement
  hot: Map<string, HotStatement>
  /** Reads this connection's write count and the file's version (see changeStamp). */
  stamp: BetterSqlite3.Statement | null
  /** The stamp read in this turn of the event loop, until it ends or a statement runs. */
  stampOfTurn: string | null
}
const sqliteConnections = new WeakMap<object, SqliteConnection>()

/** How often this SQLite database compiled a statement and reused one (null on PostgreSQL). */
export const sqliteStatementCounts = (db: Db): StatementCounts | null => sqliteConnections.get(db)?.counts ?? null

/**
 * Prisma's better-sqlite3 adapter compiles every statement it runs again and throws it away.
 * Compiling was the largest single cost of a write (a Machine or Booking update compiles the
 * planning triggers with it): the connection keeps its compiled statements and binds each
 * call's values to them. The adapter uses prepare(sql).bind(args) then reader / columns() /
 * raw().all() / run(); a compiled statement takes values only once through bind(), so the
 * values go to run() and all() instead.
 */
function reuseStatements(client: BetterSqlite3.Database, connection: SqliteConnection) {
  const compile = client.prepare.bind(client)
  const { counts } = connection
  Object.assign(connection, { client, compile, hot: new Map(), stamp: null, stampOfTurn: null })
  const compiled = new Map<string, BetterSqlite3.Statement>()
  // Whatever Prisma runs may write (a COMMIT counts as read-only for SQLite): the next stamp is read.
  const exec = client.exec.bind(client)
  client.exec = (sql: string) => {
    forgetStampOfTurn(connection)
    return exec(sql)
  }
  const withValues = (statement: BetterSqlite3.Statement, values: unknown[]) => ({
    reader: statement.reader,
    bind: (...args: unknown[]) => withValues(statement, args.length === 1 && Array.isArray(args[0]) ? args[0] : args),
    columns: () => statement.columns(),
    raw: () => ({
      all: () => {
        forgetStampOfTurn(connection)
        return statement.raw(true).all(...values)
      },
    }),
    run: () => {
      forgetStampOfTurn(connection)
      return statement.run(...values)
    },
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

/** A SQLite DATETIME as Prisma reads it: ISO text, SQL's "YYYY-MM-DD HH:MM:SS" (UTC), or milliseconds. */
function sqliteDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'number' || typeof value === 'bigint') return new Date(Number(value))
  const text = String(value)
  return new Date(text.includes('T') ? text : `${text.replace(' ', 'T')}Z`)
}

/** Converts a statement's columns by their declared types, as Prisma's adapter does. */
function converterFor(statement: BetterSqlite3.Statement): HotStatement['convert'] {
  const conversions = statement.columns().flatMap((column) => {
    const type = column.type?.toUpperCase()
    if (type === 'BOOLEAN') return [[column.name, (v: unknown) => (v === null ? null : Boolean(v))] as const]
    if (type === 'DATETIME') return [[column.name, sqliteDate] as const]
    if (type === 'JSONB') return [[column.name, (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v)] as const]
    return []
  })
  return (row) => {
    for (const [name, convert] of conversions) row[name] = convert(row[name])
    return row
  }
}

/** The pool Prisma's PostgreSQL adapter opened. */
interface PgConnection {
  pool: pg.Pool | null
  direct: number
  /** Statements sent through Prisma that may write (BEGIN and reads aside). */
  writes: number
  /** Statement names by SQL text (a handful of fixed texts). */
  names: Map<string, string>
  changes: PgChangeFeed
}
const pgConnections = new WeakMap<object, PgConnection>()

/** Statements that may write sent through Prisma on PostgreSQL (null on SQLite), for tests. */
export const pgWrites = (db: Db): number | null => pgConnections.get(db)?.writes ?? null

/** Whether the client is on PostgreSQL (else SQLite). */
export const isPostgres = (db: Db): boolean => pgConnections.has(db)

/** Hot reads answered by the driver itself (both databases), for tests and operators. */
export const directReads = (db: Db): number =>
  sqliteConnections.get(db)?.counts.direct ?? pgConnections.get(db)?.direct ?? 0

/**
 * PostgreSQL's `timestamp(3)` (no time zone), where Prisma keeps UTC: read as UTC, whatever
 * the process's time zone. Other types as node-postgres reads them (booleans, numbers, JSON).
 */
const pgTypes = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === pg.types.builtins.TIMESTAMP
      ? (text: string) => new Date(`${text.replace(' ', 'T')}Z`)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
}

/** A hot read on Prisma's own pool, as a named statement the server prepares once per connection. */
async function pgHotRows<T>(db: Db, connection: PgConnection, query: Prisma.Sql): Promise<T[]> {
  const pool = connection.pool
  if (!pool || pool.ending || pool.ended) return db.$queryRaw<T[]>(query)
  connection.direct++
  let name = connection.names.get(query.text)
  if (!name) {
    name = `hot_${createHash('sha1').update(query.text).digest('hex').slice(0, 16)}`
    connection.names.set(query.text, name)
  }
  const result = await pool.query({ name, text: query.text, values: query.values, types: pgTypes })
  return result.rows as T[]
}

/**
 * The reads of every API request (who calls, their membership and space, the planning's
 * version). On SQLite they run on the connection Prisma opened, compiled once (~10 µs),
 * not through Prisma's query engine (~120 µs of CPU each: most of what a cached planning
 * answer cost); values get Prisma's types (booleans, dates, JSON) from the columns'
 * declared types. On PostgreSQL they go to the pool Prisma opened, as named statements
 * (~50 µs of CPU instead of ~320 µs). Before Prisma opened its connection: $queryRaw.
 */
export async function hotRows<T>(db: Db, query: Prisma.Sql): Promise<T[]> {
  const pgConnection = pgConnections.get(db)
  if (pgConnection) return pgHotRows<T>(db, pgConnection, query)
  const connection = sqliteConnections.get(db)
  if (!connection?.client?.open) return db.$queryRaw<T[]>(query)
  // Kept without bound: hot reads are a handful of fixed SQL texts.
  let hot = connection.hot.get(query.sql)
  if (!hot) {
    const statement = connection.compile(query.sql).safeIntegers(false)
    hot = { statement, convert: converterFor(statement) }
    connection.hot.set(query.sql, hot)
  }
  connection.counts.direct++
  // Bound as Prisma's adapter binds them: dates as ISO text, booleans as 1 / 0.
  const values = query.values.map((v) => (v instanceof Date ? v.toISOString() : typeof v === 'boolean' ? Number(v) : v))
  return (hot.statement.all(...values) as Record<string, unknown>[]).map(hot.convert) as T[]
}

export async function openDb(url: string): Promise<Db> {
  if (providerOf(url) === 'sqlite') {
    const path = sqlitePath(url)
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
    const adapter = new PrismaBetterSqlite3({ url: path })
    const connection: SqliteConnection = {
      counts: { compiled: 0, reused: 0, direct: 0, stamps: 0 },
      client: null,
      compile: () => {
        throw new Error('not connected')
      },
      hot: new Map(),
      stamp: null,
      stampOfTurn: null,
    }
    const connect = adapter.connect.bind(adapter)
    adapter.connect = async () => {
      const opened = await connect()
      reuseStatements((opened as unknown as { client: BetterSqlite3.Database }).client, connection)
      return opened
    }
    const db = new PrismaClient({ adapter })
    sqliteConnections.set(db, connection)
    return db
  }
  const [{ PrismaClient: PgClient }, { PrismaPg }] = await Promise.all([
    import('./generated/postgres/client.js'),
    import('@prisma/adapter-pg'),
  ])
  const adapter = new PrismaPg({ connectionString: url })
  const changes = new PgChangeFeed(url)
  const connection: PgConnection = { pool: null, direct: 0, writes: 0, names: new Map(), changes }
  const connect = adapter.connect.bind(adapter)
  adapter.connect = async () => {
    const opened = await connect()
    connection.pool = opened.underlyingDriver() as pg.Pool
    noteWrites(opened, connection, false)
    const startTransaction = opened.startTransaction.bind(opened)
    opened.startTransaction = async (isolationLevel) => {
      const transaction = await startTransaction(isolationLevel)
      noteWrites(transaction, connection, true)
      return transaction
    }
    return opened
  }
  const db = new PgClient({ adapter }) as unknown as Db
  pgConnections.set(db, connection)
  const disconnect = db.$disconnect.bind(db)
  db.$disconnect = async () => {
    await changes.close()
    await disconnect()
  }
  return db
}

/**
 * Every statement Prisma sends on PostgreSQL goes through its adapter's performIO (the
 * transaction's COMMIT too): once one that may write has returned, the change feed is
 * bumped, so an answer sent after a write never comes from a copy read before it. Once it
 * is committed (on its own, or the COMMIT), the other instances are told before the write
 * returns: a NOTIFY of its own, through the pool for a statement on its own, on the
 * transaction's connection after its COMMIT (it still holds that one: waiting for another
 * of the pool could wait for ever when transactions hold them all). Outside the write's own
 * commit, so booking commits do not queue on PostgreSQL's notification lock while their WAL
 * is flushed; one round trip more per write.
 */
function noteWrites(queryable: object, connection: PgConnection, inTransaction: boolean) {
  const changes = connection.changes
  type PerformIO = (query: { sql: string }) => Promise<unknown>
  const target = queryable as { performIO: PerformIO; client: Pick<pg.Pool, 'query'> }
  const performIO = target.performIO.bind(queryable)
  target.performIO = async (query) => {
    const writes = !/^\s*(SELECT|BEGIN)\b/i.test(query.sql)
    const commits = writes && (!inTransaction || /^\s*COMMIT\b/i.test(query.sql))
    if (writes) connection.writes++
    let result: unknown
    try {
      result = await performIO(query)
    } finally {
      if (writes) changes.bump()
    }
    if (commits) {
      // Unsent (the connection failed): other instances' copies expire within 10 s.
      await target.client.query('SELECT pg_notify($1, $2)', [CHANGE_CHANNEL, changes.announcement]).catch(() => {})
    }
    return result
  }
}

/**
 * A stamp that stays the same as long as nothing in the database changed, or null when
 * that cannot be told (then nothing may be kept). Copies of rows are kept under it
 * (server/db/stamped-cache.ts), so the reads of every request cost nothing while the
 * data stands still.
 * - SQLite: this connection's count of changed rows (`total_changes()`, its own writes,
 *   triggers included) and the file's `data_version` (any other connection's commits:
 *   `npm run db:seed`, a sqlite3 shell); null inside an open transaction, whose writes this
 *   connection sees before they are committed. Read once per turn of the event loop: the
 *   read begins and ends a read transaction (locks on the WAL's shared memory), ~5 µs that
 *   a cached planning answer paid four times, a quarter of its CPU. Until the turn ends the
 *   stamp is kept, and forgotten as soon as this connection runs a statement through
 *   Prisma (its own writes show at once). Another connection's commit shows from the next
 *   turn: a request whose client waited for that commit is read from its socket in a later
 *   turn than the stamp (the poll that returned its bytes had started after the commit).
 * - PostgreSQL: the change feed's epoch (change-feed.ts), in memory.
 */
export function changeStamp(db: Db): string | null {
  const pgConnection = pgConnections.get(db)
  if (pgConnection) return pgConnection.changes.stamp()
  const connection = sqliteConnections.get(db)
  const client = connection?.client
  if (!connection || !client?.open || client.inTransaction) return null
  if (connection.stampOfTurn !== null) return connection.stampOfTurn
  connection.stamp ??= connection
    .compile('SELECT total_changes() AS "changes", "data_version" AS "version" FROM pragma_data_version')
    .raw(true)
    .safeIntegers(false)
  const [changes, version] = connection.stamp.get() as [number, number]
  connection.counts.stamps++
  connection.stampOfTurn = `${changes}:${version}`
  setImmediate(forgetStampOfTurn, connection)
  return connection.stampOfTurn
}

function forgetStampOfTurn(connection: SqliteConnection) {
  connection.stampOfTurn = null
}

/** The PostgreSQL change feed of this client (null on SQLite), for tests and operators. */
export const changeFeedOf = (db: Db): PgChangeFeed | null => pgConnections.get(db)?.changes ?? null
