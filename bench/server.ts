// Starts bench/server-process.ts as a child process and reads its CPU time and memory.
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { connectClient } from '../tests/helpers/broker.js'
import { createTestDatabase, type TestDatabase } from '../tests/helpers/database.js'

/** A throw-away demo database: SQLite, or a fresh database on the PostgreSQL server at `postgresBase`. */
export async function benchDatabase(postgresBase: string | null): Promise<TestDatabase> {
  const previous = process.env.TEST_DATABASE_URL
  if (postgresBase) process.env.TEST_DATABASE_URL = postgresBase
  else delete process.env.TEST_DATABASE_URL
  try {
    return await createTestDatabase()
  } finally {
    if (previous === undefined) delete process.env.TEST_DATABASE_URL
    else process.env.TEST_DATABASE_URL = previous
  }
}

/** The broker of a run: the server's embedded Aedes (url null), or an external Mosquitto. */
export interface BenchBroker {
  name: 'aedes' | 'mosquitto'
  url: string | null
  /** The broker's own process, when the bench can see it (its CPU is reported). */
  pid?: number
}
export const embeddedBroker: BenchBroker = { name: 'aedes', url: null }

/**
 * A run's own name for agents: a shared Mosquitto keeps retained topics after the run, so
 * each run uses names no other run uses, and clears them (clearRetained) when done.
 */
export const runTag = `${process.pid}-${Date.now().toString(36)}`

/** Clears retained messages a run left on an external broker. */
export async function clearRetained(broker: BenchBroker, topics: string[]) {
  if (!broker.url || !topics.length) return
  const client = await connectClient(broker.url)
  try {
    for (let i = 0; i < topics.length; i += 200) {
      await Promise.all(topics.slice(i, i + 200).map((t) => client.publishAsync(t, '', { qos: 1, retain: true })))
    }
  } finally {
    await client.endAsync()
  }
}

/** CPU seconds a process used so far: fields 14 and 15 of /proc/pid/stat (utime, stime), in
 * clock ticks (100 per second on Linux); 0 once it is gone. */
export function cpuSecondsOfPid(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}

export interface BenchServer {
  http: string
  mqtt: string
  server: { username: string; password: string }
  pid: number
  /** CPU seconds (user + system) the process used so far. */
  cpuSeconds(): number
  /** Resident memory, MiB. */
  rssMiB(): number
  /** SIGTERM and wait; kill() for SIGKILL (a crash, an unplugged server). */
  stop(): Promise<void>
  kill(): Promise<void>
}

export async function startBenchServer(
  databaseUrl: string,
  ports: { http?: number; mqtt?: number } = {},
  broker: BenchBroker = embeddedBroker,
): Promise<BenchServer> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      // BENCH_CPU_PROF=<dir>: the server process writes its CPU profile there (to find where time goes).
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : []),
      '--import',
      'tsx',
      'bench/server-process.ts',
    ],
    {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        BENCH_HTTP_PORT: String(ports.http ?? 0),
        BENCH_MQTT_PORT: String(ports.mqtt ?? 0),
        BENCH_MQTT_URL: broker.url ?? '',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  const ready = await new Promise<{ http: string; mqtt: string; server: { username: string; password: string } }>(
    (resolve, reject) => {
      const lines = createInterface({ input: child.stdout! })
      lines.once('line', (line) => resolve(JSON.parse(line)))
      child.once('exit', (code) => reject(new Error(`bench server exited with ${code} before it was ready`)))
    },
  )
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    ...ready,
    pid: child.pid!,
    cpuSeconds: () => cpuSecondsOfPid(child.pid!),
    rssMiB: () => {
      const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]
      return Number(kb ?? 0) / 1024
    },
    stop: async () => {
      child.kill('SIGTERM')
      await exited
    },
    kill: async () => {
      child.kill('SIGKILL')
      await exited
    },
  }
}
