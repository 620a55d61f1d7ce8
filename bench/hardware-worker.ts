// The hardware of the tap → relay figures, on a thread of its own: the RDM6300 reader's
// far end (frames written) and the LCUS board's (commands read), over socat's
// pseudo-terminals. On a thread of its own as the real devices are outside the agent: a
// tap's time ends when the relay's bytes arrive, not when the agent's event loop, busy
// with what it does after switching the relay (reporting the tap), would have let the
// instrument see them. The baseline is measured by the same thread the same way.
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

export type HardwareRequest =
  | { kind: 'taps'; count: number; uid: string; meanGapMs: number }
  | { kind: 'bytes'; count: number; meanGapMs: number }
  | { kind: 'close' }
export type HardwareReply =
  | { kind: 'ready'; reader: string; relay: string }
  | { kind: 'samples'; samples: number[] }
  | { kind: 'failed'; message: string; at: number }
  | { kind: 'closed' }

/** How long a tap may take before the bench gives up on it. */
const TIMEOUT_MS = 5000

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
const [reader, relay] = await Promise.all([terminalPair('reader'), terminalPair('relay')])

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Writes `payload` on the reader's far end and waits for `bytes` more on the relay's, `count`
 * times, at random moments `meanGapMs` apart on average (Poisson arrivals, as taps by people
 * who don't wait for each other; a late one is followed at once). Random, not periodic: a
 * period would line every tap up with the same moment of the agent's other work (the
 * server's acknowledgement of the tap before), which real taps, seconds apart, never meet.
 */
async function roundTrips(count: number, payload: Buffer, bytes: number, meanGapMs: number, beforeEach = () => {}) {
  let due = performance.now()
  const samples: number[] = []
  for (let i = 0; i < count; i++) {
    const wait = due - performance.now()
    if (wait > 0) await sleep(wait)
    due += -Math.log(1 - Math.random()) * meanGapMs
    beforeEach()
    const before = relay.received()
    const start = performance.now()
    await reader.write(payload)
    try {
      await relay.waitBytes(before + bytes)
    } catch (error) {
      throw Object.assign(error as Error, { at: i })
    }
    samples.push(performance.now() - start)
  }
  return samples
}

const reply = (message: HardwareReply) => port.postMessage(message)

port.on('message', async (message: HardwareRequest) => {
  try {
    switch (message.kind) {
      case 'taps':
        return reply({
          kind: 'samples',
          samples: await roundTrips(message.count, rdm6300Frame(message.uid), 4, message.meanGapMs, () =>
            Atomics.add(tapsWritten, 0, 1),
          ),
        })
      case 'bytes':
        return reply({
          kind: 'samples',
          samples: await roundTrips(message.count, Buffer.from([0x55]), 1, message.meanGapMs),
        })
      case 'close':
        await Promise.all([reader.close(), relay.close()])
        return reply({ kind: 'closed' })
    }
  } catch (error) {
    reply({ kind: 'failed', message: (error as Error).message, at: (error as { at?: number }).at ?? -1 })
  }
})
reply({ kind: 'ready', reader: reader.device, relay: relay.device })
