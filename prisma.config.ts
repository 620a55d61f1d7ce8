import { existsSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'prisma/config'

// Prisma's CLI wants its native schema engine even for `generate`, and downloads it
// when missing; where that download cannot happen (offline machines, our CI) we point
// it at our own stand-in, which runs Prisma's WebAssembly schema engine instead
// (prisma/schema-engine-standin.mjs). Machines that have the native engine keep it.
const enginesDir = fileURLToPath(new URL('./node_modules/@prisma/engines/', import.meta.url))
const hasNativeEngine = existsSync(enginesDir) && readdirSync(enginesDir).some((f) => f.startsWith('schema-engine'))
if (!hasNativeEngine) {
  process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= fileURLToPath(
    new URL('./prisma/schema-engine-standin.mjs', import.meta.url),
  )
}

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations/sqlite' },
  datasource: { url: process.env.DATABASE_URL ?? 'file:./data/fablab.db' },
})
