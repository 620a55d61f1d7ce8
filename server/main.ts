// Runs the server: migrate, seed the demo on an empty database, embed a broker when no
// MQTT_URL is given, listen, and close everything cleanly on SIGINT/SIGTERM (handlers
// are in place before the listening line is printed, so a supervisor may stop us at once).
import { buildApp } from './app.js'
import { ConfigError, ensureSessionSecret, loadConfig } from './config.js'
import { openDb } from './db/client.js'
import { migrate } from './db/migrate.js'
import { seedDemoIfEmpty } from './db/seed.js'
import { brokerSecurity } from './mqtt/access.js'
import { type EmbeddedBroker, embeddedBrokerCredentials, startEmbeddedBroker } from './mqtt/broker.js'
import { startSimulator } from './simulator.js'

function fail(message: string): never {
  console.error(`fablab: ${message}`)
  process.exit(1)
}

const isAddrInUse = (error: unknown) => (error as NodeJS.ErrnoException).code === 'EADDRINUSE'

let config: ReturnType<typeof loadConfig>
try {
  config = ensureSessionSecret(loadConfig())
} catch (error) {
  fail(error instanceof ConfigError ? error.message : String(error))
}

const applied = await migrate(config.databaseUrl).catch((error: Error) =>
  fail(`database migration failed: ${error.message}`),
)
const db = await openDb(config.databaseUrl)
if (applied.length) console.log(`database: applied ${applied.join(', ')}`)
if (await seedDemoIfEmpty(db)) console.log('database: demo fablab seeded (staff@demo.fablab / demo1234)')

let broker: EmbeddedBroker | null = null
const brokerCredentials = embeddedBrokerCredentials(config)
if (!config.mqttUrl) {
  const security = brokerSecurity(db, brokerCredentials, (message) => console.warn(message))
  const taken = `port ${config.mqttPort} is taken (a Mosquitto already running?)`
  const advice = `set MQTT_URL=mqtt://127.0.0.1:${config.mqttPort} to use that broker, or MQTT_PORT to embed ours on another port`
  broker = await startEmbeddedBroker(config.mqttPort, config.mqttHost, security).catch(async (error) => {
    if (!isAddrInUse(error)) return fail(`embedded MQTT broker failed: ${(error as Error).message}`)
    // MQTT_PORT chosen by the operator: theirs to fix. The default taken (many machines run a
    // Mosquitto): the demo still starts, on a free port, and says where.
    if (process.env.MQTT_PORT) return fail(`${taken}: ${advice}`)
    const fallback = await startEmbeddedBroker(0, config.mqttHost, security)
    console.warn(`fablab: ${taken}: the embedded broker listens on ${fallback.url} instead; ${advice}`)
    return fallback
  })
}

const app = await buildApp(config, {
  db,
  mqtt: broker
    ? { url: broker.url, mode: 'embedded', ...brokerCredentials.server }
    : { url: config.mqttUrl, mode: 'external', username: config.mqttUsername, password: config.mqttPassword },
})
let closing = false
async function shutdown(signal: string) {
  if (closing) return
  closing = true
  app.log.info({ signal }, 'shutting down')
  await app.simulator?.stop()
  await app.close()
  await broker?.close()
  await db.$disconnect()
  process.exit(0)
}
process.on('SIGINT', () => void shutdown('SIGINT'))
process.on('SIGTERM', () => void shutdown('SIGTERM'))

try {
  await app.listen({ port: config.port, host: config.host })
} catch (error) {
  fail(isAddrInUse(error) ? `port ${config.port} is taken: set PORT to another port` : String(error))
}
const address = app.server.address()
const port = typeof address === 'object' && address ? address.port : config.port
const brokerUrl = broker?.url ?? config.mqttUrl
if (config.simulator && brokerUrl) {
  app.simulator = await startSimulator(db, config, `http://127.0.0.1:${port}`, brokerUrl, (message) =>
    console.log(message),
  )
}
console.log(
  `fablab: listening on http://localhost:${port}  (API docs: /api/docs, MQTT: ${broker ? `embedded on ${broker.url}` : config.mqttUrl})`,
)
