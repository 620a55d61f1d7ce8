// npm run db:migrate — applies pending migrations to DATABASE_URL (default: the SQLite file).
import { loadConfig } from '../server/config.js'
import { migrate } from '../server/db/migrate.js'

const config = loadConfig()
const applied = await migrate(config.databaseUrl)
console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date')
