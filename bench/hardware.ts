// The main thread's side of bench/hardware-worker.ts: starts the thread (TypeScript, through
// tsx's loader) and the baseline's echo process, and asks the thread for taps.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { Worker } from 'node:worker_threads'
import type { HardwareReply, HardwareRequest } from './hardware-worker.js'

export interface Hardware {
  /** The devices the agent opens (the reader's and the LCUS board's near ends). */
  readerDevice: string
  relayDevice: string
  /** The baseline's echo process: it belongs with the agent's side of the machine. */
  echoPid: number
  /** Taps written so far. */
  tapsWritten(): number
  /**
   * `count` RDM6300 frames of `uid`, `meanGapMs` apart on average, each timed (ms) until the
   * relay's 4-byte command arrived; between each two, a bare byte round trip, timed the same.
   */
  taps(count: number, uid: string, meanGapMs: number): Promise<{ taps: number[]; bare: number[] }>
  close(): Promise<void>
}

/** Starts the echo on the baseline's near ends; resolves once it has them open. */
async function startEcho(input: string, output: string): Promise<ChildProcess> {
  const script = new URL('./echo-process.ts', import.meta.url).pathname
  // stdin is its lifeline: it ends with the bench, however the bench ends.
  const echo = spawn(process.execPath, ['--import', 'tsx', script, input, output], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const [ready] = await Promise.race([
    once(echo.stdout!, 'data'),
    once(echo, 'exit').then(([code]) => Promise.reject(new Error(`echo process exited with ${code}`))),
  ])
  if (!String(ready).includes('ready')) throw new Error(`echo process: ${ready}`)
  return echo
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
  const echo = await startEcho(ready.echoIn, ready.echoOut)
  return {
    readerDevice: ready.reader,
    relayDevice: ready.relay,
    echoPid: echo.pid!,
    tapsWritten: () => Atomics.load(tapsWritten, 0),
    taps: async (count, uid, meanGapMs) => {
      const reply = await ask({ kind: 'taps', count, uid, meanGapMs })
      if (reply.kind !== 'samples') throw new Error(`hardware: ${reply.kind} instead of samples`)
      return { taps: reply.taps, bare: reply.bare }
    },
    close: async () => {
      echo.stdin!.end()
      if (echo.exitCode === null) await once(echo, 'exit')
      await ask({ kind: 'close' })
      await worker.terminate()
    },
  }
}
