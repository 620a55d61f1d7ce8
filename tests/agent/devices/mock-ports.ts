// Serial ports on @serialport/binding-mock, recorded: every port the code under test made,
// how many open attempts have settled, and the mock binding of each to play the device.
import { SerialPortMock } from 'serialport'
import type { PortFactory } from '../../../agent/devices/serial.js'

/**
 * The MockBinding SerialPortMock uses. Importing '@serialport/binding-mock' from ESM gives
 * another instance (the package ships CJS and ESM builds) with its own list of ports.
 */
export const MockBinding = SerialPortMock.binding
type MockPortBinding = NonNullable<SerialPortMock['port']>

// Real timers even under vi.useFakeTimers(): a deadline must pass in real time.
const realSetTimeout = globalThis.setTimeout
const realClearTimeout = globalThis.clearTimeout

let next = 0
/** A fresh mock device path (MockBinding's ports are process-wide). */
export function mockDevice(label: string, options: { record?: boolean } = {}) {
  const path = `/dev/mock-${label}-${process.pid}-${next++}`
  MockBinding.createPort(path, { record: options.record ?? false })
  return path
}

export class MockPorts {
  readonly created: SerialPortMock[] = []
  private settled = 0
  private waiters: (() => void)[] = []

  readonly factory: PortFactory = ({ path, baudRate }) => {
    const port = new SerialPortMock({ path, baudRate, autoOpen: false })
    const open = port.open.bind(port)
    port.open = (callback) =>
      open((error) => {
        callback?.(error)
        this.settled++
        for (const w of [...this.waiters]) w()
      })
    this.created.push(port)
    return port
  }

  get attempts() {
    return this.created.length
  }

  /** Resolves once `n` open attempts have settled (their outcome handled by the caller). */
  settledAttempts(n: number, timeoutMs = 2000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.settled < n) return
        this.waiters = this.waiters.filter((w) => w !== check)
        realClearTimeout(timer)
        resolve()
      }
      const timer = realSetTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check)
        reject(new Error(`only ${this.settled} of ${n} open attempts settled`))
      }, timeoutMs)
      this.waiters.push(check)
      check()
    })
  }

  last(): SerialPortMock {
    const port = this.created.at(-1)
    if (!port) throw new Error('no port made yet')
    return port
  }

  /** The mock binding of the last port (open): emitData() plays the device, recording holds what was written. */
  binding(): MockPortBinding {
    const binding = this.last().port
    if (!binding) throw new Error('the last port is not open')
    return binding
  }
}
