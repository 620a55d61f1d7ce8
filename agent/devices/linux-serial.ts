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

/** A read's or a write's count, or null when the descriptor has nothing or no room just now. */
function unlessItWouldBlock(call: () => number): number | null {
  try {
    return call()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EINTR') return null
    throw error
  }
}

class LinuxPortOnTheLoop extends LinuxPortBinding {
  /** Resolves when the watcher says the descriptor is ready. */
  private ready(event: 'readable' | 'writable') {
    return new Promise<void>((resolve, reject) =>
      this.poller.once(event, (error) => (error ? reject(error) : resolve())),
    )
  }

  override async read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    for (;;) {
      const fd = this.fd
      // Cancelled: the stream takes any other error for the device gone.
      if (fd === null) throw new BindingsError('Port is not open', { canceled: true })
      const bytesRead = unlessItWouldBlock(() => readSync(fd, buffer, offset, length, null))
      if (bytesRead === null) {
        await this.ready('readable')
        continue
      }
      // 0 bytes from a terminal in raw mode: it hung up (a pulled USB adapter).
      if (bytesRead === 0) throw new Error('the serial device hung up')
      return { buffer, bytesRead }
    }
  }

  override async write(buffer: Buffer): Promise<void> {
    let offset = 0
    while (offset < buffer.length) {
      const fd = this.fd
      if (fd === null) throw new Error('Port is not open')
      const written = unlessItWouldBlock(() => writeSync(fd, buffer, offset))
      if (written === null) await this.ready('writable')
      else offset += written
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
