// API figures: booking creation p95 at 50 concurrent clients, planning query p95 (50
// machines, one week, 5 000 bookings), and throughput against a bare Fastify route
// served by the same server process (the baseline). The server runs in its own process;
// this one only generates the load.
import type { Db } from '../server/db/client.js'
import { hashSecret } from '../server/lib/secrets.js'
import { type Figure, options, percentile, progress, ratio, round } from './report.js'
import { benchDatabase, startBenchServer } from './server.js'

async function timed(fn: () => Promise<Response>): Promise<number> {
  const start = performance.now()
  const res = await fn()
  await res.arrayBuffer()
  if (!res.ok && res.status !== 409) throw new Error(`HTTP ${res.status}`)
  return performance.now() - start
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
  const headers = { authorization: 'Bearer bench-token', 'content-type': 'application/json' }
  try {
    const n = options.quick ? 300 : 2000

    progress(`api (${dbLabel}): bare route`)
    await load(200, 50, () => timed(() => fetch(`${base}/bare`)))
    const bare = await load(n, 50, () => timed(() => fetch(`${base}/bare`)))

    progress(`api (${dbLabel}): booking creation, 50 concurrent clients`)
    const far = new Date(weekStart.getTime() + 200 * 86_400_000)
    const bookings = await load(options.quick ? 250 : 1000, 50, (i) =>
      timed(() => {
        const start = new Date(far.getTime() + Math.floor(i / 50) * 3_600_000)
        return fetch(`${base}/api/v1/spaces/demo/bookings`, {
          method: 'POST',
          headers,
          body: JSON.stringify({
            machine: `bench-${i % 50}`,
            start: start.toISOString(),
            end: new Date(start.getTime() + 3_600_000).toISOString(),
          }),
        })
      }),
    )

    progress(`api (${dbLabel}): planning query, one week of 50 machines`)
    const weekUrl = `${base}/api/v1/spaces/demo/bookings?from=${weekStart.toISOString()}&to=${new Date(weekStart.getTime() + 7 * 86_400_000).toISOString()}`
    const planning = await load(options.quick ? 100 : 500, 50, () => timed(() => fetch(weekUrl, { headers })))

    const bareP95 = round(percentile(bare.latencies, 95))
    const bookingP95 = round(percentile(bookings.latencies, 95))
    const planningP95 = round(percentile(planning.latencies, 95))
    const common = { db: dbLabel, broker: null }
    return [
      {
        name: 'booking_create_p95_ms',
        value: bookingP95,
        unit: 'ms',
        baseline: bareP95,
        ratio: ratio(bookingP95, bareP95),
        target: '≤ 20 ms',
        ...common,
      },
      {
        name: 'planning_query_p95_ms',
        value: planningP95,
        unit: 'ms',
        baseline: bareP95,
        ratio: ratio(planningP95, bareP95),
        target: '≤ 15 ms',
        ...common,
      },
      {
        name: 'api_throughput_ratio',
        value: round(planning.perSecond / bare.perSecond, 3),
        unit: 'ratio',
        baseline: 1,
        ratio: round(planning.perSecond / bare.perSecond, 3),
        target: '≥ 0.4',
        note: `planning ${round(planning.perSecond, 0)} req/s vs bare ${round(bare.perSecond, 0)} req/s`,
        ...common,
      },
    ]
  } finally {
    await server.stop()
    await database.drop()
  }
}
