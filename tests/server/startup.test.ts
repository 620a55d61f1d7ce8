// The real entry point, as `npm start` runs it: a fresh data folder, the embedded broker,
// the demo seed, /api/v1/health and a page at /, and a clean stop.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { connectLive } from '../helpers/live.js'

const root = join(import.meta.dirname, '../..')
const dataDir = mkdtempSync(join(tmpdir(), 'fablab-start-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: '0',
      MQTT_PORT: '0',
      LOG_LEVEL: 'warn',
      DATABASE_URL: '',
      MQTT_URL: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  const exited = new Promise<number | string | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal)),
  )
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const m = /listening on (http:\/\/localhost:\d+)/.exec(output)
      if (m) resolve(m[1]!)
    })
    void exited.then((code) => reject(new Error(`exited with ${code}: ${output}`)))
  })
  // Some tests expect the start to fail: they await `exited`, not `listening`.
  listening.catch(() => {})
  return { child, listening, exited, output: () => output }
}

async function stop(child: ChildProcess, exited: Promise<number | string | null>) {
  child.kill('SIGTERM')
  return exited
}

describe('npm start on a fresh data folder', () => {
  it('migrates, seeds the demo, embeds a broker, serves the health and a page, and stops cleanly', async () => {
    const server = start({})
    const base = await server.listening
    const health = await (await fetch(`${base}/api/v1/health`)).json()
    expect(health).toMatchObject({
      status: 'ok',
      database: { provider: 'sqlite', ok: true },
      broker: { mode: 'embedded', state: 'connected' },
    })
    const page = await fetch(`${base}/`, { headers: { accept: 'text/html' } })
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('<html')
    const docs = await (await fetch(`${base}/api/docs/json`)).json()
    expect(docs.openapi).toMatch(/^3\./)
    expect(Object.keys(docs.paths)).toContain('/api/v1/spaces/{space}/bookings')
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'staff@demo.fablab', password: 'demo1234' }),
    })
    expect(login.status).toBe(200)
    expect(server.output()).toContain('demo fablab seeded')
    expect(await stop(server.child, server.exited)).toBe(0)
  })

  it('runs the simulated demo agent: a badge tapped from the browser switches a machine on, live', async () => {
    const server = start({ SIMULATOR: 'on' })
    const base = await server.listening
    expect(server.output()).toContain('simulator: demo agent "demo-pi" drives')
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'staff@demo.fablab', password: 'demo1234' }),
    })
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ')
    const { csrfToken } = await login.json()
    const live = await connectLive(base, { cookie })
    try {
      const tap = await fetch(`${base}/api/v1/spaces/demo/simulator/tap`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
        body: JSON.stringify({ machine: 'laser-1', badge: '0A0012AB34' }),
      })
      expect(tap.status).toBe(202)
      const started = await live.next('session.started', (d) => d.machine === 'laser-1', 10_000)
      expect(started.member.name).toBe('Alice Martin')
      const relays = await (await fetch(`${base}/api/v1/spaces/demo/simulator`, { headers: { cookie } })).json()
      expect(relays.find((r: { machine: string }) => r.machine === 'laser-1')).toMatchObject({
        state: 'in_use',
        relayOn: true,
      })
    } finally {
      live.close()
    }
    expect(await stop(server.child, server.exited)).toBe(0)

    // A second start keeps the data and does not seed again.
    const again = start({})
    await again.listening
    expect(again.output()).not.toContain('seeded')
    expect(await stop(again.child, again.exited)).toBe(0)
  })

  it('says in one line what to do when the MQTT port is taken', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const port = (blocker.address() as { port: number }).port
    const server = start({ MQTT_PORT: String(port) })
    const code = await server.exited
    blocker.close()
    expect(code).toBe(1)
    expect(server.output()).toContain(`port ${port} is taken`)
    expect(server.output()).toContain('MQTT_URL=')
  })

  it('embeds the broker on a free port when the default 1883 is taken, and says where', async () => {
    // 1883 is often a system Mosquitto's; when it is free here, this test takes it.
    const blocker = createServer()
    const blocked = await new Promise<boolean>((resolve) => {
      blocker.once('error', () => resolve(false))
      blocker.listen(1883, '127.0.0.1', () => resolve(true))
    })
    const server = start({ MQTT_PORT: '' })
    try {
      const base = await server.listening
      expect(server.output()).toMatch(/port 1883 is taken .*listens on mqtt:\/\/127\.0\.0\.1:\d+ instead/)
      const health = await (await fetch(`${base}/api/v1/health`)).json()
      expect(health).toMatchObject({ status: 'ok' })
      expect(await stop(server.child, server.exited)).toBe(0)
    } finally {
      if (blocked) blocker.close()
    }
  })

  it('lists every configuration problem and exits non-zero', async () => {
    const server = start({ PORT: 'eighty', DATABASE_URL: 'mysql://x', SIMULATOR: 'maybe' })
    expect(await server.exited).toBe(1)
    for (const name of ['PORT', 'DATABASE_URL', 'SIMULATOR']) expect(server.output()).toContain(name)
  })
})
