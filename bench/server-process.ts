// The server as the bench runs it: its own process (so the load and the agents measured do
// not share its event loop), on DATABASE_URL, with the embedded broker on a free port (or the
// external one at BENCH_MQTT_URL), plus
// one bare route, the baseline "same process, no work". Prints one JSON line when ready.
import { randomBytes } from 'node:crypto'
import { buildApp } from '../server/app.js'
import { loadConfig } from '../server/config.js'
import { openDb } from '../server/db/client.js'
import { migrate } from '../server/db/migrate.js'
import { seedDemoIfEmpty } from '../server/db/seed.js'
import { brokerSecurity } from '../server/mqtt/access.js'
import { startEmbeddedBroker } from '../server/mqtt/broker.js'

const databaseUrl = process.env.DATABASE_URL!
await migrate(databaseUrl)
const db = await openDb(databaseUrl)
await seedDemoIfEmpty(db)
const credentials = {
  server: { username: 'fablab-server', password: randomBytes(12).toString('hex') },
  devicesPassword: randomBytes(12).toString('hex'),
}
// BENCH_MQTT_URL: an external broker (Mosquitto, anonymous on loopback); else the embedded one.
const external = process.env.BENCH_MQTT_URL || null
const broker = external
  ? null
  : await startEmbeddedBroker(
      Number(process.env.BENCH_MQTT_PORT ?? 0),
      '127.0.0.1',
      brokerSecurity(db, credentials, () => {}),
    )
const mqttUrl = external ?? broker!.url
const config = loadConfig(
  {},
  { databaseUrl, sessionSecret: randomBytes(24).toString('hex'), logLevel: 'silent', webDist: null },
)
const app = await buildApp(config, {
  db,
  mqtt: { url: mqttUrl, mode: external ? 'external' : 'embedded', ...credentials.server },
})
app.get('/bare', async () => ({ ok: true }))
await app.listen({ port: Number(process.env.BENCH_HTTP_PORT ?? 0), host: '127.0.0.1' })
const { port } = app.server.address() as { port: number }
console.log(JSON.stringify({ http: `http://127.0.0.1:${port}`, mqtt: mqttUrl, server: credentials.server }))

process.on('SIGTERM', async () => {
  await app.close()
  await broker?.close()
  await db.$disconnect()
  process.exit(0)
})
