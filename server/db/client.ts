// Opens the database named by DATABASE_URL with the matching Prisma client and driver
// adapter. The application is written against one client type (the SQLite one): both
// clients are generated from the same schema, so their APIs are the same.
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3'
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

export async function openDb(url: string): Promise<Db> {
  if (providerOf(url) === 'sqlite') {
    const path = sqlitePath(url)
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
    return new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: path }) })
  }
  const [{ PrismaClient: PgClient }, { PrismaPg }] = await Promise.all([
    import('./generated/postgres/client.js'),
    import('@prisma/adapter-pg'),
  ])
  return new PgClient({ adapter: new PrismaPg({ connectionString: url }) }) as unknown as Db
}
