// The agent's serial ports read and write on the event loop (agent/devices/linux-serial.ts):
// a tap reaches the relay while every thread of libuv's pool is held, as a slow SD card's
// flushes or a busy pool would hold them. The hardware's side here uses terminal streams,
// which never use the pool either.
import { execFileSync } from 'node:child_process'
import { closeSync, constants, mkdtempSync, open, openSync, rmSync, writeSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ReadStream } from 'node:tty'
import { afterEach, describe, expect, it } from 'vitest'
import { createReader, createRelay } from '../../../agent/devices/factory.js'
import { rdm6300Frame } from '../../../agent/devices/rdm6300.js'
import { realPorts } from '../../../agent/devices/serial.js'
import { startSocat } from '../../helpers/socat.js'
import { nextEvent } from './wait.js'

const cleanup: (() => unknown)[] = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

const dir = () => {
  const path = mkdtempSync(join(tmpdir(), 'fablab-loop-serial-'))
  cleanup.push(() => rmSync(path, { recursive: true, force: true }))
  return path
}

/** A pseudo-terminal pair; the hardware's end opened as a raw terminal (no thread pool). */
async function terminal(name: string) {
  const base = dir()
  const [device, peer] = [join(base, `${name}-device`), join(base, `${name}-peer`)]
  const socat = await startSocat(device, peer)
  const fd = openSync(peer, constants.O_RDWR | constants.O_NOCTTY)
  const input = new ReadStream(fd)
  input.setRawMode(true)
  cleanup.push(async () => {
    input.destroy()
    socat.kill()
  })
  return { device, fd, input }
}

/**
 * Holds every thread of libuv's pool: each opens a FIFO for reading, which blocks until a
 * writer comes. Returns the release.
 */
function holdThreadPool(): () => void {
  const base = dir()
  const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4)
  const fifos = Array.from({ length: threads }, (_, i) => join(base, `fifo-${i}`))
  execFileSync('mkfifo', fifos)
  const readers = fifos.map((fifo) => new Promise<number>((resolve) => open(fifo, 'r', (_e, fd) => resolve(fd))))
  let released = false
  const release = () => {
    if (released) return
    released = true
    for (const fifo of fifos) closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK))
    void Promise.all(readers).then((fds) => {
      for (const fd of fds) closeSync(fd)
    })
  }
  cleanup.push(release)
  return release
}

describe('serial ports read and written on the event loop (Linux)', () => {
  it('turns a frame into a tap and sends the relay its command while the thread pool is held', async () => {
    const reader = await terminal('reader')
    const board = await terminal('board')
    const badgeReader = createReader({ type: 'rdm6300', port: reader.device })
    const relay = createRelay({ type: 'lcus', port: board.device, channel: 1 })
    cleanup.push(
      () => badgeReader.close(),
      () => relay.close(),
    )
    await badgeReader.open() // opening a port is the pool's work: done before it is held
    await relay.open()

    const release = holdThreadPool()
    let poolAnswered = false
    const poolFree = stat(reader.device).then(() => {
      poolAnswered = true
    })

    const tap = nextEvent<[string]>(badgeReader, 'tap')
    const written = rdm6300Frame('0A0012AB34')
    expect(writeSync(reader.fd, written)).toBe(written.length)
    expect(await tap).toEqual(['0A0012AB34'])

    const command = new Promise<Buffer>((resolve) => board.input.once('data', resolve))
    const switched = relay.set(true) // resolves once drained: the pool's work, after the release
    expect([...(await command)]).toEqual([0xa0, 0x01, 0x01, 0xa2])
    expect(poolAnswered).toBe(false) // the pool was held all along

    release()
    await poolFree
    await switched
    expect(relay.isOn).toBe(true)
  })

  it('waits for room when the terminal is full, then writes the rest, in order', async () => {
    const line = await terminal('full')
    const port = realPorts({ path: line.device, baudRate: 9600 })
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())))
    cleanup.push(() => new Promise((resolve) => port.close(resolve)))
    // Far more than a terminal and socat hold while the other end reads nothing.
    const sent = Buffer.from(Array.from({ length: 256 * 1024 }, (_, i) => i % 251))
    let written: Error | true | null = null
    port.write(sent, (error) => {
      written = error ?? true
    })
    // What fit is written; the rest waits for room (the other end reads nothing yet).
    expect(written).toBe(null)
    const received: Buffer[] = []
    let length = 0
    line.input.on('data', (chunk: Buffer) => {
      received.push(chunk)
      length += chunk.length
    })
    while (length < sent.length) await new Promise((resolve) => line.input.once('data', resolve))
    expect(Buffer.concat(received).equals(sent)).toBe(true)
    expect(written).toBe(true)
  })
})
