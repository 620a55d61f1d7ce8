// The Mosquitto the bench measures: its own, with the tuning shipped in
// firmware-config/mosquitto/mosquitto.conf (queues, in-flight window, TCP_NODELAY), on a
// free port, anonymous on loopback. A system Mosquitto keeps its distribution's defaults
// (1 000 queued messages a client: a server falling behind would have events dropped,
// which agents resend, but the bench's simulated agents do not).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const shipped = join(import.meta.dirname, '../firmware-config/mosquitto/mosquitto.conf')
const tuning = ['set_tcp_nodelay', 'max_queued_messages', 'max_inflight_messages', 'message_size_limit']

export interface BenchMosquitto {
  url: string
  pid: number
  stop(): Promise<void>
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Starts Mosquitto with the shipped tuning; null when the mosquitto binary is not installed. */
export async function startBenchMosquitto(): Promise<BenchMosquitto | null> {
  try {
    execFileSync('mosquitto', ['-h'], { stdio: 'ignore' })
  } catch (error) {
    // `mosquitto -h` exits 3 after printing its help: only a missing binary is a failure.
    if ((error as { code?: string }).code === 'ENOENT') return null
  }
  const dir = mkdtempSync(join(tmpdir(), 'fablab-bench-mosquitto-'))
  chmodSync(dir, 0o755) // started as root, mosquitto reads as its own user
  const port = await freePort()
  const lines = readFileSync(shipped, 'utf8')
    .split('\n')
    .filter((line) => tuning.includes(line.trim().split(/\s+/)[0] ?? ''))
  const conf = join(dir, 'mosquitto.conf')
  writeFileSync(
    conf,
    [...lines, `listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', ''].join('\n'),
  )
  chmodSync(conf, 0o644)
  const child: ChildProcess = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk
      if (log.includes('running')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`mosquitto exited with ${code}: ${log}`)))
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    url: `mqtt://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGTERM')
      await exited
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
