// API figures: booking creation p95 at 50 concurrent clients, planning query p95 (50
// machines, one week, 5 000 bookings), and throughput against a bare Fastify route
// served by the same server process (the baseline). The server runs in its own process;
// this one only generates the load.
import http from 'node:http'
import type { Db } from '../server/db/client.js'
import { hashSecret } from '../server/lib/secrets.js'
import { type Figure, options, percentile, progress, ratio, round } from './report.js'
import { type BenchServer, benchDatabase, startBenchServer } from './server.js'

/** Planning answers the server computed, not served from its cache (its x-cache header). */
const cacheMisses = { count: 0 }

/** Keep-alive connections, one per client in flight, as a browser keeps them. */
const connections = new http.Agent({ keepAlive: true, maxSockets: 64 })

/**
 * One request as wrk or autocannon send it: the answer's bytes are read, not decoded (a
 * browser inflates a gzipped answer natively; undici's fetch inflating 50 at once in one
 * JavaScript thread measured itself, not the server). Resolves with the time it took.
 */
function timed(url: string, init: { method?: string; headers: Record<string, string>; body?: string }) {
  const start = performance.now()
  return new Promise<number>((resolve, reject) => {
    const req = http.request(
      url,
      { method: init.method ?? 'GET', headers: init.headers, agent: connections },
      (res) => {
        res.on('data', () => {})
        res.on('end', () => {
          if (res.headers['x-cache'] === 'miss') cacheMisses.count++
          const status = res.statusCode ?? 0
          if (status >= 400 && status !== 409) reject(new Error(`HTTP ${status} from ${init.method ?? 'GET'} ${url}`))
          else resolve(performance.now() - start)
        })
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(init.body)
  })
}

/** Runs `total` calls with `concurrency` in flight; returns latencies and requests/s. */
async function load(total: number, concurrency: number, call: (i: number) => Promise<number>) {
  const latencies: number[] = []
  let next = 0
  const start = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) latencies.push(await call(next++))
    }),
  )
  return { latencies, perSecond: (total / (performance.now() - start)) * 1000 }
}

/**
 * 50 clients as people use the planning: each sends a request, then waits out the rest of
 * its second (50 requests a second in all). The latency is then the service time under
 * concurrency, not a queue the load generator builds itself.
 */
async function paced(clients: number, rounds: number, call: (i: number) => Promise<number>) {
  const latencies: number[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: clients }, async () => {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 1000))
      for (let r = 0; r < rounds; r++) {
        const start = performance.now()
        latencies.push(await call(next++))
        const rest = 1000 - (performance.now() - start)
        if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest))
      }
    }),
  )
  return latencies
}

/** Saturated runs of one kind of request, added up: latencies, time, the server's CPU. */
interface Tally {
  latencies: number[]
  seconds: number
  cpuSeconds: number
}
const newTally = (): Tally => ({ latencies: [], seconds: 0, cpuSeconds: 0 })

/** Runs a load and adds it to the tally, with the server's CPU time during it. */
async function tally(into: Tally, server: BenchServer, run: () => Promise<{ latencies: number[] }>) {
  const cpu = server.cpuSeconds()
  const start = performance.now()
  const { latencies } = await run()
  into.seconds += (performance.now() - start) / 1000
  into.cpuSeconds += server.cpuSeconds() - cpu
  into.latencies.push(...latencies)
}
const perSecond = (t: Tally) => t.latencies.length / t.seconds
/** How busy the server was (share of one core) and its CPU time per request. */
const serverLoad = (t: Tally) =>
  `server ${round((t.cpuSeconds / t.seconds) * 100, 0)} % busy, ${round((t.cpuSeconds / t.latencies.length) * 1e6, 0)} µs of CPU a request`

async function seed(db: Db) {
  const space = await db.space.findUniqueOrThrow({ where: { slug: 'demo' } })
  await db.space.update({ where: { id: space.id }, data: { bookingWindowDays: 366 } })
  const staff = await db.membership.findFirstOrThrow({ where: { spaceId: space.id, role: 'staff' } })
  await db.apiToken.create({ data: { personId: staff.personId, name: 'bench', tokenHash: hashSecret('bench-token') } })
  const machines = []
  for (let i = 0; i < 50; i++) {
    machines.push(
      await db.machine.create({
        data: { spaceId: space.id, slug: `bench-${i}`, name: `Bench ${i}`, maxBookingMinutes: 600 },
      }),
    )
  }
  // 5 000 bookings: 100 per machine over the coming weeks, one hour each.
  const weekStart = new Date(Date.now() + 2 * 86_400_000)
  weekStart.setUTCHours(0, 0, 0, 0)
  const rows = machines.flatMap((m, mi) =>
    Array.from({ length: 100 }, (_, k) => {
      const start = new Date(weekStart.getTime() + (k * 5 + (mi % 3)) * 3_600_000)
      return {
        spaceId: space.id,
        machineId: m.id,
        membershipId: staff.id,
        start,
        end: new Date(start.getTime() + 3_600_000),
      }
    }),
  )
  for (let i = 0; i < rows.length; i += 500) await db.booking.createMany({ data: rows.slice(i, i + 500) })
  return { weekStart, machines }
}

export async function apiFigures(databaseUrlBase: string | null, dbLabel: string): Promise<Figure[]> {
  const database = await benchDatabase(databaseUrlBase)
  progress(`api (${dbLabel}): seeding 50 machines and 5 000 bookings`)
  const { weekStart } = await seed(database.db)
  const server = await startBenchServer(database.url)
  const base = server.http
  // Browsers ask for compression, and get it (a week of 50 busy machines: 440 kB of JSON, 31 kB gzipped).
  const headers = {
    authorization: 'Bearer bench-token',
    'content-type': 'application/json',
    'accept-encoding': 'gzip, deflate, br',
  }
  try {
    const rounds = options.quick ? 2 : 10
    const far = new Date(weekStart.getTime() + 200 * 86_400_000)
    const book = (i: number) => {
      const start = new Date(far.getTime() + Math.floor(i / 50) * 3_600_000)
      return timed(`${base}/api/v1/spaces/demo/bookings`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          machine: `bench-${i % 50}`,
          start: start.toISOString(),
          end: new Date(start.getTime() + 3_600_000).toISOString(),
        }),
      })
    }
    const weekUrl = `${base}/api/v1/spaces/demo/bookings?from=${weekStart.toISOString()}&to=${new Date(weekStart.getTime() + 7 * 86_400_000).toISOString()}`
    const plan = () => timed(weekUrl, { headers })
    const bareCall = () => timed(`${base}/bare`, { headers: { 'accept-encoding': headers['accept-encoding'] } })

    progress(`api (${dbLabel}): warming up (a server in service is warm)`)
    // Thousands of requests: fewer left V8 compiling the server's hot paths during the
    // measure, on the server's CPU time (--quick once gave the bare route 130 µs of it a
    // request, against 40 warm, and the planning a higher rate than the bare route).
    await load(3000, 50, bareCall)
    await load(options.quick ? 60 : 200, 10, (i) => book(50_000 + i)) // slots far from the measured ones
    await load(1000, 50, plan)

    progress(`api (${dbLabel}): 50 clients, one request a second each`)
    const barePaced = await paced(50, rounds, bareCall)
    const bookingsPaced = await paced(50, rounds, book)
    // The paced bookings took the first slots; the saturated run books further on.
    const offset = 50 * rounds
    cacheMisses.count = 0
    const planningPaced = await paced(50, rounds, plan)
    const pacedMisses = cacheMisses.count

    progress(`api (${dbLabel}): saturated, 50 requests always in flight`)
    const bookings = await load(options.quick ? 250 : 1000, 50, (i) => book(i + offset))
    // Long enough (a few seconds each) that warm-up and the machine's hiccups average out
    // (2 000 bare calls took a third of a second), and the bare route and the planning in
    // turn, in blocks, so that both meet the host's moments alike: run one after the other,
    // the ratio moved by half between runs.
    const bare = newTally()
    const planning = newTally()
    const blocks = options.quick ? 2 : 6
    for (let block = 0; block < blocks; block++) {
      await tally(bare, server, () => load((options.quick ? 3000 : 15_000) / blocks, 50, bareCall))
      await tally(planning, server, () => load((options.quick ? 1200 : 7200) / blocks, 50, plan))
    }

    const p95 = (samples: number[]) => round(percentile(samples, 95))
    const bareP95 = p95(barePaced)
    const common = { db: dbLabel, broker: null }
    const saturated = (latencies: number[], rate: number) =>
      `saturated (50 in flight): p95 ${p95(latencies)} ms, ${round(rate, 0)} req/s`
    const throughput = perSecond(planning) / perSecond(bare)
    return [
      {
        name: 'booking_create_p95_ms',
        value: p95(bookingsPaced),
        unit: 'ms',
        baseline: bareP95,
        ratio: ratio(p95(bookingsPaced), bareP95),
        target: '≤ 20 ms',
        note: `50 clients × 1 req/s; ${saturated(bookings.latencies, bookings.perSecond)}`,
        ...common,
      },
      {
        name: 'planning_query_p95_ms',
        value: p95(planningPaced),
        unit: 'ms',
        baseline: bareP95,
        ratio: ratio(p95(planningPaced), bareP95),
        target: '≤ 15 ms',
        note: `50 clients × 1 req/s, ~1 700 bookings a week, ${pacedMisses} of ${planningPaced.length} computed (the others from the cache); ${saturated(planning.latencies, perSecond(planning))}`,
        ...common,
      },
      {
        name: 'api_throughput_ratio',
        value: round(throughput, 3),
        unit: 'ratio',
        baseline: 1,
        ratio: round(throughput, 3),
        target: '≥ 0.4',
        note: `planning ${round(perSecond(planning), 0)} req/s (${serverLoad(planning)}) vs bare ${round(perSecond(bare), 0)} req/s (${serverLoad(bare)}), both saturated, in turn`,
        ...common,
      },
    ]
  } finally {
    await server.stop()
    await database.drop()
  }
}
