#!/usr/bin/env node
// Stand-in for Prisma's native schema engine on machines that cannot download it.
// `prisma generate` only checks that this file exists. Migrations do not go through
// the Prisma CLI here: see prisma/migrate.ts (apply) and prisma/make-migration.ts (create).
console.error(
  'The native Prisma schema engine is not installed. Use `npm run db:migrate` to apply migrations ' +
    'and `npm run db:make-migration -- <name>` to create one.',
)
process.exit(1)
