// A pair of connected pseudo-terminals (socat), as a USB-serial device and its cable:
// the agent opens `device`, the test plays the hardware on `peer`.
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SerialPort } from 'serialport'
import { startSocat } from './socat.js'

export interface PtyPair {
  device: string
  peer: string
  /** The hardware side, opened. */
  readonly port: SerialPort
  /** Everything the agent wrote to the device. */
  received: Buffer[]
  bytes(): Buffer
  /** Resolves once the agent has written at least n bytes in all. */
  waitBytes(n: number, timeoutMs?: number): Promise<Buffer>
  /** Unplugs the device (socat stops: both ends vanish). */
  unplug(): Promise<void>
  /** Plugs it back at the same path. */
  replug(): Promise<void>
  close(): Promise<void>
}

export async function ptyPair(name: string, baudRate = 9600): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), `fablab-pty-${name}-`))
  const device = join(dir, 'device')
  const peer = join(dir, 'peer')
  const received: Buffer[] = []
  const waiters: { n: number; resolve: (b: Buffer) => void }[] = []
  const bytes = () => Buffer.concat(received)
  const onData = (d: Buffer) => {
    received.push(d)
    const all = bytes()
    for (const w of [...waiters]) {
      if (all.length < w.n) continue
      waiters.splice(waiters.indexOf(w), 1)
      w.resolve(all)
    }
  }
  let socat: ChildProcess | null = null
  let port: SerialPort | null = null

  const plug = async () => {
    socat = await startSocat(device, peer)
    const opened = new SerialPort({ path: peer, baudRate })
    await new Promise<void>((resolve, reject) => {
      opened.once('open', () => resolve())
      opened.once('error', reject)
    })
    opened.on('data', onData)
    opened.on('error', () => {})
    port = opened
  }

  const unplug = async () => {
    const p = port
    if (p?.isOpen) await new Promise<void>((resolve) => p.close(() => resolve()))
    const child = socat
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill()
      await exited
    }
  }

  await plug()
  return {
    device,
    peer,
    get port() {
      return port!
    },
    received,
    bytes,
    waitBytes: (n, timeoutMs = 5000) =>
      bytes().length >= n
        ? Promise.resolve(bytes())
        : new Promise((resolve, reject) => {
            const timer = setTimeout(
              () => reject(new Error(`only ${bytes().length} of ${n} bytes within ${timeoutMs} ms`)),
              timeoutMs,
            )
            waiters.push({
              n,
              resolve: (b) => {
                clearTimeout(timer)
                resolve(b)
              },
            })
          }),
    unplug,
    replug: plug,
    close: async () => {
      await unplug()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export function write(port: SerialPort, data: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => {
    port.write(data, (error) => {
      if (error) return reject(error)
      port.drain((drainError) => (drainError ? reject(drainError) : resolve()))
    })
  })
}
