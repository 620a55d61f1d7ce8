// serialport's Linux binding, with a port's reads and writes made on the event loop.
// The binding opens a port non-blocking (O_NONBLOCK) and waits for it with an epoll
// watcher, yet it reads and writes through libuv's thread pool: each frame from a reader
// and each relay command crossed to a thread and back, two thread wake-ups a crossing, on
// a tap's way to the relay. On a non-blocking descriptor a read or a write returns at once
// (what is there, or "would block", and then the watcher waits), so it is made here
// directly, as Node does for its own terminals and sockets. Opening, closing, settings and
// drain stay the binding's own.
import { readSync, writeSync } from 'node:fs'
import { BindingsError, LinuxBinding, type LinuxOpenOptions, LinuxPortBinding } from '@serialport/bindings-cpp'

/** Nothing to read, or no room to write, just now: the watcher says when. */
const wouldBlock = (error: NodeJS.ErrnoException) =>
  error.code === 'EAGAIN' || error.code === 'EWOULDBLOCK' || error.code === 'EINTR'

/** The stream takes any error but a cancelled one for the device gone (and closes the port). */
const closedPort = () => new BindingsError('Port is not open', { canceled: true })

class LinuxPortOnTheLoop extends LinuxPortBinding {
  private ready(event: 'readable' | 'writable') {
    return new Promise<void>((resolve, reject) =>
      this.poller.once(event, (error) => (error ? reject(error) : resolve())),
    )
  }

  override async read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    for (;;) {
      if (this.fd === null) throw closedPort()
      try {
        const bytesRead = readSync(this.fd, buffer, offset, length, null)
        // 0 bytes from a terminal in raw mode: it hung up (a pulled USB adapter).
        if (bytesRead === 0) throw new Error('the serial device hung up')
        return { buffer, bytesRead }
      } catch (error) {
        if (!wouldBlock(error as NodeJS.ErrnoException)) throw error
      }
      await this.ready('readable')
    }
  }

  override async write(buffer: Buffer): Promise<void> {
    let offset = 0
    while (offset < buffer.length) {
      if (this.fd === null) throw new Error('Port is not open')
      try {
        offset += writeSync(this.fd, buffer, offset)
        continue
      } catch (error) {
        if (!wouldBlock(error as NodeJS.ErrnoException)) throw error
      }
      await this.ready('writable')
    }
  }
}

/** The Linux binding whose ports read and write on the event loop (see above). */
export const linuxBindingOnTheLoop: typeof LinuxBinding = {
  list: () => LinuxBinding.list(),
  async open(options: LinuxOpenOptions) {
    const port = await LinuxBinding.open(options)
    // The binding builds its own port object (around the descriptor and its watcher, which
    // may not be made twice): it gets the read and write above, and nothing else changes.
    return Object.setPrototypeOf(port, LinuxPortOnTheLoop.prototype) as LinuxPortOnTheLoop
  },
}
