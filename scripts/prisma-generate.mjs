// Generates the Prisma clients for both databases from the one source schema.
// prisma/schema.prisma (SQLite) is the source; prisma/postgres/schema.prisma is derived
// here, so the two can never drift apart. Runs at `npm install` (postinstall).
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const source = join(root, 'prisma/schema.prisma')
const derived = join(root, 'prisma/postgres/schema.prisma')

export function derivePostgresSchema(text) {
  return (
    '// GENERATED from prisma/schema.prisma by scripts/prisma-generate.mjs: do not edit.\n' +
    text
      .replace('provider = "sqlite"', 'provider = "postgresql"')
      .replace('output       = "../server/db/generated/sqlite"', 'output       = "../../server/db/generated/postgres"')
  )
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]
if (isMain) {
  mkdirSync(dirname(derived), { recursive: true })
  writeFileSync(derived, derivePostgresSchema(readFileSync(source, 'utf8')))
  const prisma = join(root, 'node_modules/prisma/build/index.js')
  for (const schema of [source, derived]) {
    execFileSync(process.execPath, [prisma, 'generate', '--schema', schema], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    })
  }
  console.log('prisma: clients generated for sqlite and postgres')
}
