// The main thread's side of bench/hardware-worker.ts: starts the thread (TypeScript, through
// tsx's loader), and asks it for taps or bare byte round trips.
import { once } from 'node:events'
import { Worker } from 'node:worker_threads'
import type { HardwareReply, HardwareRequest } from './hardware-worker.js'

export interface Hardware {
  /** The devices the agent opens (the reader's and the LCUS board's near ends). */
  readerDevice: string
  relayDevice: string
  /** Taps written so far. */
  tapsWritten(): number
  /** `count` RDM6300 frames of `uid`, `meanGapMs` apart on average, each timed (ms) until the relay's 4-byte command arrived. */
  taps(count: number, uid: string, meanGapMs: number): Promise<number[]>
  /** `count` single bytes written on the reader's far end, `meanGapMs` apart on average, each timed until it reaches the relay's. */
  bytes(count: number, meanGapMs: number): Promise<number[]>
  close(): Promise<void>
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
  const samples = async (request: HardwareRequest) => {
    const reply = await ask(request)
    if (reply.kind !== 'samples') throw new Error(`hardware: ${reply.kind} instead of samples`)
    return reply.samples
  }
  const ready = await next()
  if (ready.kind !== 'ready') throw new Error(`hardware: ${ready.kind} instead of ready`)
  return {
    readerDevice: ready.reader,
    relayDevice: ready.relay,
    tapsWritten: () => Atomics.load(tapsWritten, 0),
    taps: (count, uid, meanGapMs) => samples({ kind: 'taps', count, uid, meanGapMs }),
    bytes: (count, meanGapMs) => samples({ kind: 'bytes', count, meanGapMs }),
    close: async () => {
      await ask({ kind: 'close' })
      await worker.terminate()
    },
  }
}
