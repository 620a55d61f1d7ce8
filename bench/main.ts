// npm run bench [-- --quick] [-- --json]: each figure next to a baseline measured in the
// same run on the same machine, so the ratios hold on a noisy machine.
import { connect } from 'node:net'
import { agentFigures, decisionFigure } from './agent.js'
import { apiFigures } from './api.js'
import { type Figure, print, progress, runs } from './report.js'
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

// Every figure that goes through a broker runs on the embedded Aedes and, when one answers,
// Mosquitto (BENCH_MQTT_URL, default mqtt://127.0.0.1:1883, anonymous on loopback).
const mosquitto = new URL(process.env.BENCH_MQTT_URL ?? 'mqtt://127.0.0.1:1883')
const brokers: BenchBroker[] = runs('broker', 'aedes') ? [embeddedBroker] : []
if (!runs('broker', 'mosquitto')) {
  // left out by --only
} else if (await answers(mosquitto.hostname, Number(mosquitto.port || 1883)))
  brokers.push({ name: 'mosquitto', url: mosquitto.href })
else progress('Mosquitto not reachable: embedded broker figures only')

const figures: Figure[] = runs('part', 'decision') ? [decisionFigure()] : []
for (const [base, label] of databases) {
  progress(`— on ${label} —`)
  for (const broker of brokers) if (runs('part', 'agent')) figures.push(...(await agentFigures(base, broker)))
  if (runs('part', 'api')) figures.push(...(await apiFigures(base, label)))
  for (const broker of brokers) if (runs('part', 'scale')) figures.push(...(await scaleFigures(base, broker)))
}
print(figures)
