// The hardware of the tap → relay figures, on a thread of its own: the RDM6300 reader's
// far end (frames written) and the LCUS board's (commands read), over socat's
// pseudo-terminals. On a thread of its own as the real devices are outside the agent: a
// tap's time ends when the relay's bytes arrive, not when the agent's event loop, busy
// with what it does after switching the relay (reporting the tap), would have let the
// instrument see them.
// The baseline, a bare byte round trip, goes through two more pseudo-terminal pairs of the
// same kind and an echo process (bench/echo-process.ts) beside the agent, timed by this
// thread the same way, one between each two taps: both see the same moments of the
// machine (the server storing the taps, the disk, the other programs of the host).
// The far ends are opened as plain terminals (node:tty): serialport's native binding
// cannot run on a second thread.
import { once } from 'node:events'
import { constants, mkdtempSync, openSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ReadStream, WriteStream } from 'node:tty'
import { parentPort, workerData } from 'node:worker_threads'
import { rdm6300Frame } from '../agent/devices/rdm6300.js'
import { startSocat } from '../tests/helpers/socat.js'

export type HardwareRequest = { kind: 'taps'; count: number; uid: string; meanGapMs: number } | { kind: 'close' }
export type HardwareReply =
  | { kind: 'ready'; reader: string; relay: string; echoIn: string; echoOut: string }
  | { kind: 'samples'; taps: number[]; bare: number[] }
  | { kind: 'failed'; message: string; at: number }
  | { kind: 'closed' }

/** How long a tap may take before the bench gives up on it. */
const TIMEOUT_MS = 5000

/** A socat pseudo-terminal pair: the agent (or the echo) opens `device`, this thread `peer`. */
async function terminalPair(name: string) {
  const dir = mkdtempSync(join(tmpdir(), `fablab-bench-${name}-`))
  const [device, peer] = [join(dir, 'device'), join(dir, 'peer')]
  const socat = await startSocat(device, peer)
  const fd = openSync(peer, constants.O_RDWR | constants.O_NOCTTY)
  const input = new ReadStream(fd)
  input.setRawMode(true)
  const output = new WriteStream(fd)
  let received = 0
  let waiter: { n: number; resolve: () => void } | null = null
  input.on('data', (d: Buffer) => {
    received += d.length
    if (waiter && received >= waiter.n) waiter.resolve()
  })
  return {
    device,
    received: () => received,
    write: (data: Buffer) =>
      new Promise<void>((resolve, reject) => output.write(data, (e) => (e ? reject(e) : resolve()))),
    /** Resolves once `n` bytes in all came from the agent. */
    waitBytes: (n: number) =>
      received >= n
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            const timer = setTimeout(
              () => reject(new Error(`only ${received} of ${n} bytes within ${TIMEOUT_MS} ms`)),
              TIMEOUT_MS,
            )
            waiter = {
              n,
              resolve: () => {
                clearTimeout(timer)
                waiter = null
                resolve()
              },
            }
          }),
    close: async () => {
      input.destroy()
      output.destroy()
      if (socat.exitCode === null) {
        socat.kill()
        await once(socat, 'exit')
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

const port = parentPort!
/** Taps written so far, shared with the agent's clock (the card leaves the field between taps). */
const tapsWritten = (workerData as { tapsWritten: Int32Array }).tapsWritten
const [reader, relay, echoIn, echoOut] = await Promise.all([
  terminalPair('reader'),
  terminalPair('relay'),
  terminalPair('echo-in'),
  terminalPair('echo-out'),
])

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * `count` taps (the frame written on the reader's far end, timed until the relay's 4 bytes
 * arrive) and as many bare round trips (a byte through the echo), one after the other, at
 * random moments `meanGapMs` apart on average between taps (Poisson arrivals, as taps by
 * people who don't wait for each other; a late one is followed at once). Random, not
 * periodic: a period would line every tap up with the same moment of the agent's other
 * work (the server's acknowledgement of the tap before), which real taps, seconds apart,
 * never meet.
 */
async function tapsAndBare(count: number, frame: Buffer, meanGapMs: number) {
  const taps: number[] = []
  const bare: number[] = []
  const byte = Buffer.from([0x55])
  let due = performance.now()
  for (let i = 0; i < 2 * count; i++) {
    const wait = due - performance.now()
    if (wait > 0) await sleep(wait)
    due += -Math.log(1 - Math.random()) * (meanGapMs / 2)
    const tap = i % 2 === 0
    // The agent's clock moves with the taps written (the card leaves the field between taps).
    if (tap) Atomics.add(tapsWritten, 0, 1)
    const [into, outOf, payload, bytes] = tap ? [reader, relay, frame, 4] : [echoIn, echoOut, byte, 1]
    const before = outOf.received()
    const start = performance.now()
    await into.write(payload)
    try {
      await outOf.waitBytes(before + bytes)
    } catch (error) {
      throw Object.assign(error as Error, { at: i >> 1, what: tap ? 'tap' : 'bare round trip' })
    }
    ;(tap ? taps : bare).push(performance.now() - start)
  }
  return { taps, bare }
}

const reply = (message: HardwareReply) => port.postMessage(message)

port.on('message', async (message: HardwareRequest) => {
  try {
    switch (message.kind) {
      case 'taps':
        return reply({
          kind: 'samples',
          ...(await tapsAndBare(message.count, rdm6300Frame(message.uid), message.meanGapMs)),
        })
      case 'close':
        await Promise.all([reader, relay, echoIn, echoOut].map((pair) => pair.close()))
        return reply({ kind: 'closed' })
    }
  } catch (error) {
    const { at, what } = error as { at?: number; what?: string }
    reply({ kind: 'failed', message: `${what ?? 'hardware'}: ${(error as Error).message}`, at: at ?? -1 })
  }
})
reply({ kind: 'ready', reader: reader.device, relay: relay.device, echoIn: echoIn.device, echoOut: echoOut.device })
