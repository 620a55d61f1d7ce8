// A pair of connected pseudo-terminals made by socat, as a USB-serial device and its
// cable: the agent opens `device`, the test plays the hardware on `peer`. Killing socat
// is unplugging the device (both ends vanish); starting it again is plugging it back.
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SerialPort } from 'serialport'
import { startSocat } from '../../helpers/socat.js'

export interface PtyPair {
  /** The path the agent opens. */
  readonly device: string
  /** The hardware's end of the cable. */
  readonly peer: string
  /** Writes to the agent, as the hardware would; resolves once drained. */
  send(data: Buffer | string): Promise<void>
  /** Resolves with the next `n` bytes the agent wrote (consumed), or fails after timeoutMs. */
  take(n: number, timeoutMs?: number): Promise<Buffer>
  /** Bytes the agent wrote and no take() consumed yet. */
  pending(): Buffer
  unplug(): Promise<void>
  replug(): Promise<void>
  close(): Promise<void>
}

export async function ptyPair(name: string, baudRate = 9600): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), `fablab-${name}-`))
  const device = join(dir, 'device')
  const peer = join(dir, 'peer')
  let received = Buffer.alloc(0)
  let waiter: (() => void) | null = null
  let socat: ChildProcess | null = null
  let port: SerialPort | null = null

  const plug = async () => {
    socat = await startSocat(device, peer)
    const opened = new SerialPort({ path: peer, baudRate, autoOpen: false })
    await new Promise<void>((resolve, reject) => opened.open((e) => (e ? reject(e) : resolve())))
    opened.on('data', (d: Buffer) => {
      received = Buffer.concat([received, d])
      waiter?.()
    })
    opened.on('error', () => {})
    port = opened
  }

  const unplug = async () => {
    const p = port
    port = null
    if (p?.isOpen) await new Promise<void>((resolve) => p.close(() => resolve()))
    const child = socat
    socat = null
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill()
      await exited
    }
  }

  await plug()
  return {
    device,
    peer,
    send: (data) => {
      const p = port
      if (!p) return Promise.reject(new Error('the pty pair is unplugged'))
      return new Promise((resolve, reject) =>
        p.write(data, (e) => (e ? reject(e) : p.drain((d) => (d ? reject(d) : resolve())))),
      )
    },
    take: (n, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (received.length < n) return false
          const out = received.subarray(0, n)
          received = received.subarray(n)
          waiter = null
          clearTimeout(timer)
          resolve(Buffer.from(out))
          return true
        }
        const timer = setTimeout(() => {
          waiter = null
          reject(new Error(`only ${received.length} of ${n} bytes within ${timeoutMs} ms`))
        }, timeoutMs)
        if (!check()) waiter = check
      }),
    pending: () => Buffer.from(received),
    unplug,
    replug: plug,
    close: async () => {
      await unplug()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
