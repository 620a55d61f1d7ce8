// Agent figures: tap → relay over pseudo-terminals (server online and offline) against a
// bare byte round trip through the same pseudo-terminals; decision time at 10 000 members
// against a bare Map lookup; revocation → enforcement against a bare MQTT round trip;
// a 10 000-event offline backlog drained against 10 000 bare MQTT messages.
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SerialPort } from 'serialport'
import { Agent } from '../agent/agent.js'
import { rdm6300Frame } from '../agent/devices/rdm6300.js'
import { decide } from '../protocol/access-policy.js'
import { indexRights, type RightsSnapshot } from '../protocol/rights.js'
import { hashSecret } from '../server/lib/secrets.js'
import { connectClient } from '../tests/helpers/broker.js'
import { type PtyPair, ptyPair, write } from '../tests/helpers/pty.js'
import { startTestServer, type TestServer } from '../tests/helpers/server.js'
import { type Figure, options, percentile, progress, ratio, round } from './report.js'

const rows = (n: number) => (options.quick ? Math.max(20, Math.round(n / 5)) : n)

/** Bare round trip: a byte written on the reader's far end, echoed by the near ends to the relay's far end. */
async function bareRoundTrip(reader: PtyPair, relay: PtyPair, count: number): Promise<number[]> {
  const readerNear = new SerialPort({ path: reader.device, baudRate: 9600 })
  const relayNear = new SerialPort({ path: relay.device, baudRate: 9600 })
  await Promise.all([once(readerNear, 'open'), once(relayNear, 'open')])
  readerNear.on('data', (d: Buffer) => relayNear.write(d))
  const samples: number[] = []
  for (let i = 0; i < count; i++) {
    const before = relay.bytes().length
    const start = performance.now()
    await write(reader.port, Buffer.from([0x55]))
    await relay.waitBytes(before + 1)
    samples.push(performance.now() - start)
  }
  await Promise.all([new Promise((r) => readerNear.close(r)), new Promise((r) => relayNear.close(r))])
  return samples
}

async function tapToRelay(agent: Agent, reader: PtyPair, relay: PtyPair, clock: { t: number }, count: number) {
  const samples: number[] = []
  for (let i = 0; i < count; i++) {
    clock.t += 2000 // the card leaves the field between taps: alternately on and off
    const before = relay.bytes().length
    const start = performance.now()
    await write(reader.port, rdm6300Frame('0A0012AB34'))
    await relay.waitBytes(before + 4)
    samples.push(performance.now() - start)
  }
  void agent
  return samples
}

function bigSnapshot(): RightsSnapshot {
  const members = Array.from({ length: 10_000 }, (_, i) => ({
    id: `m${i}`,
    name: `Member ${i}`,
    role: i % 500 === 0 ? 'staff' : 'maker',
    suspended: i % 97 === 0,
    creditCents: i % 1000,
    trainings: [{ slug: `t${i % 7}`, expiresAt: null }],
    badges: [i.toString(16).toUpperCase().padStart(10, '0')],
  }))
  const machines = Array.from({ length: 50 }, (_, i) => ({
    slug: `machine-${i}`,
    status: 'available',
    requiredTrainings: i % 3 ? [`t${i % 7}`] : [],
    walkInAllowed: true,
    cutPolicy: 'when_idle',
    idleThresholdWatts: 20,
    maxSessionMinutes: null,
  }))
  const now = Date.now()
  const bookings = Array.from({ length: 2000 }, (_, i) => ({
    id: `b${i}`,
    machine: `machine-${i % 50}`,
    memberId: `m${i * 5}`,
    start: new Date(now + (i % 40) * 3_600_000).toISOString(),
    end: new Date(now + ((i % 40) + 1) * 3_600_000).toISOString(),
    status: 'confirmed',
  }))
  const space = {
    slug: 'bench',
    timeZone: 'Europe/Paris',
    checkInMinutes: 10,
    noShowGraceMinutes: 15,
    requireCredit: true,
    minCreditCents: 100,
  }
  return {
    version: 1,
    hash: 'x',
    generatedAt: new Date().toISOString(),
    expiresAt: new Date(now + 86_400_000).toISOString(),
    space,
    members,
    machines,
    bookings,
  }
}

function decisionFigure(): Figure {
  progress('agent: decisions on a 10 000-member snapshot')
  const index = indexRights(bigSnapshot())
  const badges = [...index.byBadge.keys()]
  const n = rows(200_000)
  const time = (fn: (i: number) => unknown) => {
    const samples: number[] = []
    for (let i = 0; i < n; i++) {
      const start = performance.now()
      fn(i)
      samples.push(performance.now() - start)
    }
    return samples
  }
  const at = Date.now()
  const decisions = time((i) =>
    decide(index, { badgeUid: badges[(i * 7919) % badges.length]!, machine: `machine-${i % 50}`, at }),
  )
  const lookups = time((i) => index.byBadge.get(badges[(i * 7919) % badges.length]!))
  const value = round(percentile(decisions, 99), 4)
  const baseline = round(percentile(lookups, 99), 4)
  return {
    name: 'decision_p99_ms',
    value,
    unit: 'ms',
    baseline,
    ratio: ratio(value, baseline),
    target: null,
    db: null,
    broker: null,
  }
}

export async function agentFigures(): Promise<Figure[]> {
  const figures: Figure[] = [decisionFigure()]
  const server: TestServer = await startTestServer({ broker: true })
  await server.app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(server.app.server.address() as { port: number }).port}`
  const db = server.database.db
  const demo = await db.space.findUniqueOrThrow({ where: { slug: 'demo' } })
  const created = await db.agent.create({
    data: { spaceId: demo.id, slug: 'bench-pi', name: 'Bench', credentialHash: hashSecret('bench-agent-token') },
  })
  await db.machine.updateMany({ where: { slug: { in: ['laser-1', 'printer-1'] } }, data: { agentId: created.id } })
  const dataDir = mkdtempSync(join(tmpdir(), 'fablab-bench-agent-'))
  const [reader, relay] = await Promise.all([ptyPair('bench-reader'), ptyPair('bench-relay')])
  const clock = { t: Date.now() }
  const agent = new Agent(
    {
      id: 'bench-pi',
      server: base,
      mqtt: server.broker!.url,
      token: 'bench-agent-token',
      dataDir,
      machines: [
        {
          machine: 'laser-1',
          reader: { type: 'rdm6300', port: reader.device },
          relay: { type: 'lcus', port: relay.device, channel: 1 },
        },
        { machine: 'printer-1', reader: { type: 'fake' }, relay: { type: 'fake' } },
      ],
    },
    { now: () => clock.t, log: () => {} },
  )
  const staffOn = server.as('staff@demo.fablab')
  try {
    const rights = once(agent, 'rights')
    await agent.start()
    await rights
    const common = { db: 'sqlite', broker: server.broker!.kind }

    progress('agent: bare byte round trip over the pseudo-terminals')
    await agent.stop() // free the serial ports for the baseline, then start again
    const bare = await bareRoundTrip(reader, relay, rows(1000))
    const agent2 = new Agent(agent.config, { now: () => clock.t, log: () => {} })
    await agent2.start()
    const bareP99 = round(percentile(bare, 99), 3)

    progress('agent: tap → relay with the server online')
    const online = await tapToRelay(agent2, reader, relay, clock, rows(1000))
    const onlineP99 = round(percentile(online, 99), 3)
    figures.push({
      name: 'tap_to_relay_p99_ms',
      value: onlineP99,
      unit: 'ms',
      baseline: bareP99,
      ratio: ratio(onlineP99, bareP99),
      target: 'overhead ≤ 2 ms',
      note: `p50 ${round(percentile(online, 50), 3)} ms; overhead ${round(onlineP99 - bareP99, 3)} ms`,
      ...common,
    })

    progress('agent: revocation → enforcement')
    const staff = await staffOn
    const mqttBaseline: number[] = []
    const probe = await connectClient(server.broker!.url, {
      username: 'fablab-server',
      password: 'test-server-password',
    })
    await probe.subscribeAsync('bench/probe', { qos: 1 })
    for (let i = 0; i < rows(50); i++) {
      const start = performance.now()
      const got = new Promise((resolve) => probe.once('message', resolve))
      await probe.publishAsync('bench/probe', 'x', { qos: 1 })
      await got
      mqttBaseline.push(performance.now() - start)
    }
    const revocations: number[] = []
    for (let i = 0; i < rows(40); i++) {
      const changed = once(agent2, 'rights')
      const start = performance.now()
      if (i % 2 === 0) await staff.delete('/api/v1/spaces/demo/members/alice@demo.fablab/trainings/laser')
      else await staff.put('/api/v1/spaces/demo/members/alice@demo.fablab/trainings/laser')
      await changed
      revocations.push(performance.now() - start)
    }
    probe.end(true)
    const revP95 = round(percentile(revocations, 95), 2)
    const mqttP95 = round(percentile(mqttBaseline, 95), 2)
    figures.push({
      name: 'revocation_p95_ms',
      value: revP95,
      unit: 'ms',
      baseline: mqttP95,
      ratio: ratio(revP95, mqttP95),
      target: '≤ 1000 ms',
      note: `p50 ${round(percentile(revocations, 50), 2)} ms`,
      ...common,
    })

    progress('agent: tap → relay with the server and broker gone')
    await server.app.close()
    await server.broker!.close()
    const offline = await tapToRelay(agent2, reader, relay, clock, rows(1000))
    const offlineP99 = round(percentile(offline, 99), 3)
    figures.push({
      name: 'tap_to_relay_offline_p99_ms',
      value: offlineP99,
      unit: 'ms',
      baseline: bareP99,
      ratio: ratio(offlineP99, bareP99),
      target: 'overhead ≤ 2 ms',
      note: `overhead ${round(offlineP99 - bareP99, 3)} ms`,
      db: null,
      broker: null,
    })
    await agent2.stop()
  } finally {
    await Promise.all([reader.close(), relay.close()])
    await server.database.drop().catch(() => {})
    rmSync(dataDir, { recursive: true, force: true })
  }
  return figures
}
