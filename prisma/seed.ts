// npm run db:seed — migrates, then seeds the demo fablab when the database is empty.
import { loadConfig } from '../server/config.js'
import { openDb } from '../server/db/client.js'
import { migrate } from '../server/db/migrate.js'
import { seedDemoIfEmpty } from '../server/db/seed.js'

const config = loadConfig()
await migrate(config.databaseUrl)
const db = await openDb(config.databaseUrl)
console.log((await seedDemoIfEmpty(db)) ? 'demo data seeded' : 'database not empty: nothing seeded')
await db.$disconnect()
