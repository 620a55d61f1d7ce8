// socat joining two pseudo-terminals, as a USB-serial device and its cable: `device` for
// the program under test, `peer` for the hardware's side. Resolves once socat relays and
// both links exist; fails after 5 s, or when socat exits.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'

export function startSocat(device: string, peer: string): Promise<ChildProcess> {
  const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${device}`, `pty,raw,echo=0,link=${peer}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  return new Promise((resolve, reject) => {
    let log = ''
    const fail = (why: string) => {
      child.kill()
      reject(new Error(`socat: ${why}\n${log}`))
    }
    const timer = setTimeout(() => fail('no pty pair within 5 s'), 5000)
    child.stderr!.on('data', (d: Buffer) => {
      log += d
      // socat says so once both ptys and their links exist.
      if (log.includes('starting data transfer loop')) {
        clearTimeout(timer)
        if (existsSync(device) && existsSync(peer)) resolve(child)
        else fail('links missing after start')
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`socat exited with ${code}\n${log}`))
    })
    child.once('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
  })
}
