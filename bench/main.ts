// npm run bench [-- --quick] [-- --json]: each figure next to a baseline measured in the
// same run on the same machine, so the ratios hold on a noisy machine.
import { connect } from 'node:net'
import { agentFigures, decisionFigure } from './agent.js'
import { apiFigures } from './api.js'
import { type BenchMosquitto, startBenchMosquitto } from './mosquitto.js'
import { type Figure, options, print, progress, runs } from './report.js'
import { scaleFigures } from './scale.js'
import { type BenchBroker, embeddedBroker } from './server.js'

const postgresBase = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'
const answers = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, host)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })

// Every figure that touches the database runs on SQLite and, when it answers, PostgreSQL.
const pgUrl = new URL(postgresBase)
const databases: [string | null, string][] = runs('db', 'sqlite') ? [[null, 'sqlite']] : []
if (!runs('db', 'postgresql')) {
  // left out by --only
} else if (await answers(pgUrl.hostname, Number(pgUrl.port || 5432))) databases.push([postgresBase, 'postgresql'])
else progress('PostgreSQL not reachable: SQLite figures only')

// Every figure that goes through a broker runs on the embedded Aedes and on Mosquitto: the
// bench's own with the shipped tuning when the binary is installed, else the one at
// BENCH_MQTT_URL (default mqtt://127.0.0.1:1883, anonymous on loopback) when it answers.
const brokers: BenchBroker[] = runs('broker', 'aedes') ? [embeddedBroker] : []
let ownMosquitto: BenchMosquitto | null = null
if (runs('broker', 'mosquitto')) {
  const external = process.env.BENCH_MQTT_URL ? null : await startBenchMosquitto()
  const fallback = new URL(process.env.BENCH_MQTT_URL ?? 'mqtt://127.0.0.1:1883')
  if (external) {
    ownMosquitto = external
    brokers.push({ name: 'mosquitto', url: external.url, pid: external.pid })
  } else if (await answers(fallback.hostname, Number(fallback.port || 1883)))
    brokers.push({ name: 'mosquitto', url: fallback.href })
  else progress('Mosquitto neither installed nor reachable: embedded broker figures only')
}

const figures: Figure[] = runs('part', 'decision') ? [decisionFigure()] : []
for (const [base, label] of databases) {
  progress(`— on ${label} —`)
  // --quick: Mosquitto on the first database only (every figure still shows up once).
  const withBrokers = options.quick && base !== databases[0]![0] ? brokers.slice(0, 1) : brokers
  for (const broker of withBrokers) if (runs('part', 'agent')) figures.push(...(await agentFigures(base, broker)))
  if (runs('part', 'api')) figures.push(...(await apiFigures(base, label)))
  for (const broker of withBrokers) if (runs('part', 'scale')) figures.push(...(await scaleFigures(base, broker)))
}
await ownMosquitto?.stop()
print(figures)
