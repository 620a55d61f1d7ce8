// npm run invoices:verify [-- --space <slug>] — checks every space's invoice chain on
// DATABASE_URL: numbers without gaps, each invoice unchanged since issue (its hash), each
// linked to the previous one. Exits 1 and names the invoices when something was altered.

import { loadConfig } from '../config.js'
import { openDb } from '../db/client.js'
import { verifyInvoiceChain } from './invoices.js'

const args = process.argv.slice(2)
const spaceIndex = args.indexOf('--space')
const only = spaceIndex >= 0 ? args[spaceIndex + 1] : undefined

const config = loadConfig()
const db = await openDb(config.databaseUrl)
let failed = false
try {
  const spaces = await db.space.findMany({ where: only ? { slug: only } : {}, orderBy: { slug: 'asc' } })
  if (only && spaces.length === 0) {
    console.error(`no space "${only}"`)
    failed = true
  }
  for (const space of spaces) {
    const { checked, problems } = await verifyInvoiceChain(db, space.id)
    if (problems.length === 0) {
      console.log(`${space.slug}: ${checked} invoice(s), chain intact`)
      continue
    }
    failed = true
    console.log(`${space.slug}: ${checked} invoice(s), ${problems.length} problem(s):`)
    for (const p of problems) console.log(`  ${p.number ?? `#${p.seq}`}: ${p.problem}`)
  }
} finally {
  await db.$disconnect()
}
process.exit(failed ? 1 : 0)
