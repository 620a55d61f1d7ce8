// Prisma's schema engine (WebAssembly build) used as a pure function: the SQL that takes
// the schema as of the last migration to the current prisma/schema.prisma, per database.
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3'
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils'
import * as engineModule from '@prisma/schema-engine-wasm/schema_engine_bg'
import { derivePostgresSchema } from '../scripts/prisma-generate.mjs'

const root = join(import.meta.dirname, '..')
let loaded: Promise<typeof engineModule.SchemaEngine> | undefined

function loadEngine(): Promise<typeof engineModule.SchemaEngine> {
  loaded ??= (async () => {
    // The package imports its .wasm as an ES module, which Node cannot do: instantiate it here.
    const require = createRequire(import.meta.url)
    const wasmFile = require
      .resolve('@prisma/schema-engine-wasm')
      .replace(/schema_engine\.js$/, 'schema_engine_bg.wasm')
    const { instance } = await WebAssembly.instantiate(readFileSync(wasmFile), {
      './schema_engine_bg.js': engineModule as unknown as WebAssembly.ModuleImports,
    })
    // The engine reports Rust panics through this global (Prisma's CLI installs the same).
    Object.assign(globalThis, {
      PRISMA_WASM_PANIC_REGISTRY: { set_message: (m: string) => console.error(`schema engine panic: ${m}`) },
    })
    engineModule.__wbg_set_wasm(instance.exports)
    ;(instance.exports as { __wbindgen_start(): void }).__wbindgen_start()
    return engineModule.SchemaEngine
  })()
  return loaded
}

async function diff(from: string | null, to: string): Promise<string> {
  const SchemaEngine = await loadEngine()
  // The diff of two datamodels never touches a database; the engine still wants an adapter.
  const engine = await SchemaEngine.new(
    { datamodels: undefined },
    () => {},
    bindMigrationAwareSqlAdapterFactory(new PrismaBetterSqlite3({ url: ':memory:' }) as never),
  )
  const result = await engine.diff({
    from:
      from === null ? { tag: 'empty' } : { tag: 'schemaDatamodel', files: [{ path: 'schema.prisma', content: from }] },
    to: { tag: 'schemaDatamodel', files: [{ path: 'schema.prisma', content: to }] },
    script: true,
    exitCode: null,
    filters: { externalTables: [], externalEnums: [] },
  } as never)
  return result.stdout ?? ''
}

const isEmpty = (sql: string) => !sql.trim() || sql.includes('-- This is an empty migration.')

/** The SQL still to write as a migration, or null when the migrations are up to date. */
export async function pendingSchemaChange(): Promise<{ sqlite: string; postgres: string } | null> {
  const current = readFileSync(join(root, 'prisma/schema.prisma'), 'utf8')
  const snapshotFile = join(root, 'prisma/migrations/last-migrated.prisma')
  const last = existsSync(snapshotFile) ? readFileSync(snapshotFile, 'utf8') : null
  const sqlite = await diff(last, current)
  if (isEmpty(sqlite)) return null
  const postgres = await diff(last === null ? null : derivePostgresSchema(last), derivePostgresSchema(current))
  return { sqlite, postgres }
}
