// The bare round trip's far side: a process of its own that copies every byte from one
// pseudo-terminal to another through serialport, as the agent reads a reader and writes a
// relay, with nothing in between. It runs beside the agent, on the agent's core(s), so the
// bench times its bytes and the agent's taps in turn, at the same moments.
// Usage: node --import tsx bench/echo-process.ts <from device> <to device>; prints "ready".
import { once } from 'node:events'
import { SerialPort } from 'serialport'

const [from, to] = process.argv.slice(2)
if (!from || !to) throw new Error('usage: echo-process.ts <from device> <to device>')
const input = new SerialPort({ path: from, baudRate: 9600 })
const output = new SerialPort({ path: to, baudRate: 9600 })
await Promise.all([once(input, 'open'), once(output, 'open')])
input.on('data', (data: Buffer) => output.write(data))
process.on('SIGTERM', () => {
  input.close()
  output.close()
  process.exit(0)
})
console.log('ready')
