// npm run bench [-- --quick] [-- --json]: each figure next to a baseline measured in the
// same run on the same machine, so the ratios hold on a noisy machine.
import { connect } from 'node:net'
import { agentFigures } from './agent.js'
import { apiFigures } from './api.js'
import { type Figure, print, progress } from './report.js'

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

const figures: Figure[] = []
figures.push(...(await agentFigures()))
figures.push(...(await apiFigures(null, 'sqlite')))
const pgUrl = new URL(postgresBase)
if (await answers(pgUrl.hostname, Number(pgUrl.port || 5432)))
  figures.push(...(await apiFigures(postgresBase, 'postgresql')))
else progress('PostgreSQL not reachable: SQLite figures only')
print(figures)
