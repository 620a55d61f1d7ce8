// One data model for two databases: the derived PostgreSQL schema and the committed
// migrations of both databases must match prisma/schema.prisma.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { pendingSchemaChange } from '../../prisma/schema-diff.js'
import { derivePostgresSchema } from '../../scripts/prisma-generate.mjs'

const root = join(import.meta.dirname, '../..')

describe('the data model', () => {
  it('has a committed PostgreSQL schema derived from the source schema', () => {
    const source = readFileSync(join(root, 'prisma/schema.prisma'), 'utf8')
    expect(readFileSync(join(root, 'prisma/postgres/schema.prisma'), 'utf8')).toBe(derivePostgresSchema(source))
  })

  it('has migrations for every change of prisma/schema.prisma (npm run db:make-migration)', async () => {
    expect(await pendingSchemaChange()).toBeNull()
  })
})
