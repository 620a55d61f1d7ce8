// The bare baseline's near end, in a process of its own beside the agent's: what comes in
// on one serial line goes out on the other at once, through the serial library the agent
// uses. Prints "ready" once both lines are open; ends with its parent.
import { once } from 'node:events'
import { SerialPort } from 'serialport'

const [input, output] = process.argv.slice(2)
if (!input || !output) throw new Error('usage: echo-process <input device> <output device>')
const from = new SerialPort({ path: input, baudRate: 9600 })
const to = new SerialPort({ path: output, baudRate: 9600 })
await Promise.all([once(from, 'open'), once(to, 'open')])
from.on('data', (d: Buffer) => to.write(d))
process.stdout.write('ready\n')
process.stdin.on('end', () => process.exit(0))
process.stdin.resume()
