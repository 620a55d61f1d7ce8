// The main thread's side of bench/hardware-worker.ts: starts the thread (TypeScript, through
// tsx's loader) and the baseline's echo process (bench/echo-process.ts), and asks the thread
// for series of taps and bare round trips in turn.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { Worker } from 'node:worker_threads'
import type { HardwareReply, HardwareRequest } from './hardware-worker.js'

export interface Hardware {
  /** The devices the agent opens (the reader's and the LCUS board's near ends). */
  readerDevice: string
  relayDevice: string
  /** The echo process's pid: it belongs with the agent's side (bench/cpus.ts). */
  echoPid: number
  /** Taps written so far. */
  tapsWritten(): number
  /**
   * `count` RDM6300 frames of `uid`, `meanGapMs` apart on average, each timed (ms) until the
   * relay's 4-byte command arrived; and, in turn with them, `count` bare round trips (a byte
   * through the echo process, timed until it came back).
   */
  series(count: number, uid: string, meanGapMs: number): Promise<{ taps: number[]; bare: number[] }>
  close(): Promise<void>
}

/** The echo process between two devices; resolves once both are open. */
async function startEcho(from: string, to: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/echo-process.ts', from, to], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', () => resolve())
    child.once('exit', (code) => reject(new Error(`bench echo exited with ${code} before it was ready`)))
  })
  return child
}

export async function startHardware(): Promise<Hardware> {
  const tapsWritten = new Int32Array(new SharedArrayBuffer(4))
  const file = new URL('./hardware-worker.ts', import.meta.url).href
  const worker = new Worker(
    `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(file)}) })`,
    { eval: true, workerData: { tapsWritten } },
  )
  const failed = once(worker, 'error').then(([error]) => Promise.reject(error as Error))
  failed.catch(() => {}) // raised by the request it interrupts
  const next = async () => ((await Promise.race([once(worker, 'message'), failed])) as [HardwareReply])[0]
  const ask = async (request: HardwareRequest) => {
    worker.postMessage(request)
    const reply = await next()
    if (reply.kind === 'failed') throw Object.assign(new Error(reply.message), { at: reply.at })
    return reply
  }
  const ready = await next()
  if (ready.kind !== 'ready') throw new Error(`hardware: ${ready.kind} instead of ready`)
  const echo = await startEcho(ready.echoFrom, ready.echoTo)
  return {
    readerDevice: ready.reader,
    relayDevice: ready.relay,
    echoPid: echo.pid!,
    tapsWritten: () => Atomics.load(tapsWritten, 0),
    series: async (count, uid, meanGapMs) => {
      const reply = await ask({ kind: 'series', count, uid, meanGapMs })
      if (reply.kind !== 'samples') throw new Error(`hardware: ${reply.kind} instead of samples`)
      return { taps: reply.taps, bare: reply.bare }
    },
    close: async () => {
      if (echo.exitCode === null) {
        echo.kill('SIGTERM')
        await once(echo, 'exit')
      }
      await ask({ kind: 'close' })
      await worker.terminate()
    },
  }
}
