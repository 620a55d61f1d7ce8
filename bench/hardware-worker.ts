// The hardware of the tap → relay figures, on a thread of its own: the RDM6300 reader's
// far end (frames written) and the LCUS board's (commands read), over socat's
// pseudo-terminals; and the baseline's two lines, joined by bench/echo-process.ts, whose
// bytes it times in turn with the taps, at the same moments. On a thread of its own as the
// real devices are outside the agent: a tap's time ends when the relay's bytes arrive, not
// when the agent's event loop, busy with what it does after switching the relay
// (reporting the tap), would have let the instrument see them.
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

export type HardwareRequest = { kind: 'series'; count: number; uid: string; meanGapMs: number } | { kind: 'close' }
export type HardwareReply =
  | { kind: 'ready'; reader: string; relay: string; echoFrom: string; echoTo: string }
  | { kind: 'samples'; taps: number[]; bare: number[] }
  | { kind: 'failed'; message: string; at: number }
  | { kind: 'closed' }

/** How long a tap may take before the bench gives up on it. */
const TIMEOUT_MS = 5000

type Line = Awaited<ReturnType<typeof terminalPair>>

/** A socat pseudo-terminal pair: the agent opens `device`, this thread `peer`. */
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
const [reader, relay, echoFrom, echoTo] = (await Promise.all(
  ['reader', 'relay', 'echo-from', 'echo-to'].map((name) => terminalPair(name)),
)) as [Line, Line, Line, Line]

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * `count` taps (an RDM6300 frame of `uid` on the reader, timed until the relay's 4-byte
 * command arrives) and `count` bare round trips (a byte through the echo process, timed until
 * it comes back on the other line), shuffled, at random moments (Poisson arrivals, as taps
 * by people who don't wait for each other; a late one is followed at once) so that taps
 * come `meanGapMs` apart on average. Random, not periodic: a period would line every tap up
 * with the same moment of the agent's other work (the server's acknowledgement of the tap
 * before), which real taps, seconds apart, never meet. In turn, so the baseline meets the
 * machine's quiet and busy moments (the server's work on the taps, the host's neighbours)
 * as the taps do.
 */
async function series(count: number, uid: string, meanGapMs: number) {
  const kinds = [...Array<'tap'>(count).fill('tap'), ...Array<'bare'>(count).fill('bare')]
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!]
  }
  const frame = rdm6300Frame(uid)
  const bareByte = Buffer.from([0x55])
  const taps: number[] = []
  const bare: number[] = []
  let due = performance.now()
  for (const [i, kind] of kinds.entries()) {
    const wait = due - performance.now()
    if (wait > 0) await sleep(wait)
    due += (-Math.log(1 - Math.random()) * meanGapMs) / 2 // two arrivals (a tap, a byte) per gap
    const [from, to, payload, bytes] = kind === 'tap' ? [reader, relay, frame, 4] : [echoFrom, echoTo, bareByte, 1]
    if (kind === 'tap') Atomics.add(tapsWritten, 0, 1)
    const before = to.received()
    const start = performance.now()
    await from.write(payload)
    try {
      await to.waitBytes(before + bytes)
    } catch (error) {
      throw Object.assign(error as Error, { at: i, message: `${kind}: ${(error as Error).message}` })
    }
    ;(kind === 'tap' ? taps : bare).push(performance.now() - start)
  }
  return { taps, bare }
}

const reply = (message: HardwareReply) => port.postMessage(message)

port.on('message', async (message: HardwareRequest) => {
  try {
    switch (message.kind) {
      case 'series':
        return reply({ kind: 'samples', ...(await series(message.count, message.uid, message.meanGapMs)) })
      case 'close':
        await Promise.all([reader, relay, echoFrom, echoTo].map((line) => line.close()))
        return reply({ kind: 'closed' })
    }
  } catch (error) {
    reply({ kind: 'failed', message: (error as Error).message, at: (error as { at?: number }).at ?? -1 })
  }
})
reply({ kind: 'ready', reader: reader.device, relay: relay.device, echoFrom: echoFrom.device, echoTo: echoTo.device })
