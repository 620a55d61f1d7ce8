// The bare round trip's far side: a process of its own that copies every byte from one
// pseudo-terminal to another through the agent's own serial ports (serialport, read and
// written on the event loop on Linux), as the agent reads a reader and writes a relay,
// with nothing in between. It runs beside the agent, on the agent's core(s), so the
// bench times its bytes and the agent's taps in turn, at the same moments.
// Usage: node --import tsx bench/echo-process.ts <from device> <to device>; prints "ready".
import { realPorts } from '../agent/devices/serial.js'

const [from, to] = process.argv.slice(2)
if (!from || !to) throw new Error('usage: echo-process.ts <from device> <to device>')
const input = realPorts({ path: from, baudRate: 9600 })
const output = realPorts({ path: to, baudRate: 9600 })
await Promise.all(
  [input, output].map((port) => new Promise((resolve, reject) => port.open((e) => (e ? reject(e) : resolve(null))))),
)
input.on('data', (data: Buffer) => output.write(data))
process.on('SIGTERM', () => {
  input.close()
  output.close()
  process.exit(0)
})
console.log('ready')
