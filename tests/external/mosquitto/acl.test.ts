// The shipped Mosquitto ACL (firmware-config/mosquitto/acl) on a real Mosquitto 2:
// agent A's credentials cannot publish on agent B's topics. Runs in CI's broker suite
// (npm run test:mosquitto), which has the mosquitto binary.
import { execFileSync, spawn } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt, { type MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '../../..')
const dir = mkdtempSync(join(tmpdir(), 'fablab-mosquitto-'))
let port = 0
let broker: ReturnType<typeof spawn>
const clients: MqttClient[] = []

async function freePort() {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const p = (s.address() as { port: number }).port
  await new Promise((resolve) => s.close(resolve))
  return p
}

beforeAll(async () => {
  port = await freePort()
  const passwd = join(dir, 'passwd')
  writeFileSync(passwd, '')
  for (const [user, pass] of [
    ['fablab-server', 'server-pw'],
    ['demo-pi', 'demo-pw'],
    ['other-pi', 'other-pw'],
    ['devices', 'devices-pw'],
  ]) {
    execFileSync('mosquitto_passwd', ['-b', passwd, user!, pass!])
  }
  writeFileSync(
    join(dir, 'mosquitto.conf'),
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous false',
      'persistence false',
      'set_tcp_nodelay true',
      `password_file ${passwd}`,
      `acl_file ${join(root, 'firmware-config/mosquitto/acl')}`,
      '',
    ].join('\n'),
  )
  // Started as root, mosquitto drops to its own user: let it read the files.
  chmodSync(dir, 0o755)
  chmodSync(passwd, 0o644)
  broker = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  broker.stderr?.on('data', (d) => (log += d))
  await new Promise<void>((resolve, reject) => {
    const check = () => (log.includes('running') ? resolve() : undefined)
    broker.stderr?.on('data', check)
    broker.once('exit', (code) => reject(new Error(`mosquitto exited ${code}: ${log}`)))
  })
})
afterAll(() => {
  for (const c of clients) c.end(true)
  broker?.kill()
  rmSync(dir, { recursive: true, force: true })
})

async function connect(username: string, password: string) {
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    username,
    password,
    protocolVersion: 4,
    reconnectPeriod: 0,
  })
  clients.push(client)
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve())
    client.once('error', reject)
  })
  return client
}

describe('Mosquitto with the shipped ACL', () => {
  it("drops what agent A publishes on agent B's topics and delivers its own", async () => {
    const server = await connect('fablab-server', 'server-pw')
    const received: string[] = []
    server.on('message', (topic, payload) => received.push(`${topic} ${payload}`))
    await server.subscribeAsync('fablab/v1/agents/+/events', { qos: 1 })
    const demo = await connect('demo-pi', 'demo-pw')
    await demo.publishAsync('fablab/v1/agents/other-pi/events', 'forged', { qos: 1 })
    // Same connection, later message: had the forged one passed, it would arrive first.
    await demo.publishAsync('fablab/v1/agents/demo-pi/events', 'genuine', { qos: 1 })
    await expect.poll(() => received).toEqual(['fablab/v1/agents/demo-pi/events genuine'])
  })

  it("does not let an agent read another agent's rights, nor forge its own", async () => {
    const server = await connect('fablab-server', 'server-pw')
    const demo = await connect('demo-pi', 'demo-pw')
    const got: string[] = []
    demo.on('message', (topic, payload) => got.push(`${topic} ${payload}`))
    await demo
      .subscribeAsync(['fablab/v1/agents/other-pi/rights', 'fablab/v1/agents/demo-pi/rights'], { qos: 1 })
      .catch(() => [])
    await demo.publishAsync('fablab/v1/agents/demo-pi/rights', 'forged', { qos: 1 })
    await server.publishAsync('fablab/v1/agents/other-pi/rights', 'for-other', { qos: 1 })
    await server.publishAsync('fablab/v1/agents/demo-pi/rights', 'for-demo', { qos: 1 })
    await expect.poll(() => got).toEqual(['fablab/v1/agents/demo-pi/rights for-demo'])
  })

  it("lets agents hear the server's online announcement, which only the server may make", async () => {
    const server = await connect('fablab-server', 'server-pw')
    const demo = await connect('demo-pi', 'demo-pw')
    const got: string[] = []
    demo.on('message', (topic, payload) => got.push(`${topic} ${payload}`))
    await demo.subscribeAsync('fablab/v1/server/online', { qos: 1 })
    await demo.publishAsync('fablab/v1/server/online', 'forged', { qos: 1 })
    await server.publishAsync('fablab/v1/server/online', 'genuine', { qos: 1 })
    await expect.poll(() => got).toEqual(['fablab/v1/server/online genuine'])
  })

  it('refuses a wrong password', async () => {
    await expect(connect('demo-pi', 'nope')).rejects.toThrow(/Not authorized|Bad username/i)
  })
})
