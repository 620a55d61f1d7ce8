// Scale: many agents on one server and its embedded broker, each connected with its own
// credentials, with a retained status (heartbeat) and one event a second, for a while; then
// every event must be stored once and acknowledged. Reports lost events and the server
// process's CPU and memory (the server runs in its own process).
import mqtt, { type MqttClient } from 'mqtt'
import { agentTopic, sendImmediately } from '../protocol/mqtt.js'
import { hashSecret } from '../server/lib/secrets.js'
import { type Figure, options, progress, round } from './report.js'
import { type BenchBroker, benchDatabase, clearRetained, cpuSecondsOfPid, runTag, startBenchServer } from './server.js'

interface SimAgent {
  slug: string
  client: MqttClient
  sent: number
  acked: number
}

async function connectAgent(url: string, slug: string): Promise<SimAgent> {
  const client = mqtt.connect(url, {
    protocolVersion: 4,
    clientId: `fablab-agent-${slug}`,
    username: slug,
    password: `token-${slug}`,
    reconnectPeriod: 1000,
    connectTimeout: 30_000,
    will: { topic: agentTopic(slug, 'status'), payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
  })
  sendImmediately(client)
  client.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve())
    client.once('error', reject)
  })
  const agent: SimAgent = { slug, client, sent: 0, acked: 0 }
  client.on('message', (_topic, payload) => {
    agent.acked = Math.max(agent.acked, (JSON.parse(payload.toString()) as { seq: number }).seq)
  })
  await client.subscribeAsync(agentTopic(slug, 'acks'), { qos: 1 })
  return agent
}

const status = (online: boolean) => JSON.stringify({ online, version: 'bench', rightsVersion: 0, pending: 0 })

export async function scaleFigures(postgresBase: string | null, broker: BenchBroker): Promise<Figure[]> {
  const count = options.quick ? 100 : 1000
  const seconds = options.quick ? 6 : 60
  const heartbeatMs = options.quick ? 3000 : 30_000
  const database = await benchDatabase(postgresBase)
  const demo = await database.db.space.findUniqueOrThrow({ where: { slug: 'demo' } })
  // On a shared broker, names of this run's own (its retained topics are cleared at the end).
  const slugs = Array.from({ length: count }, (_, i) => (broker.url ? `sim-${runTag}-${i}` : `sim-${i}`))
  await database.db.agent.createMany({
    data: slugs.map((slug) => ({ spaceId: demo.id, slug, name: slug, credentialHash: hashSecret(`token-${slug}`) })),
  })
  const server = await startBenchServer(database.url, {}, broker)
  const agents: SimAgent[] = []
  const timers: NodeJS.Timeout[] = []
  try {
    for (let i = 0; i < count; i += 50) {
      progress(`scale: connecting agents ${i + 1}–${Math.min(i + 50, count)} of ${count}`)
      agents.push(...(await Promise.all(slugs.slice(i, i + 50).map((slug) => connectAgent(server.mqtt, slug)))))
    }
    for (const a of agents) a.client.publish(agentTopic(a.slug, 'status'), status(true), { qos: 1, retain: true })

    progress(`scale: ${count} agents, one event a second each, for ${seconds} s`)
    const cpuStart = server.cpuSeconds()
    const brokerCpuStart = broker.pid ? cpuSecondsOfPid(broker.pid) : 0
    let rssPeak = server.rssMiB()
    const started = performance.now()
    for (const a of agents) {
      const send = () => {
        a.sent++
        const event = {
          id: `${a.slug}:${a.sent}`,
          seq: a.sent,
          type: 'access.denied',
          at: new Date().toISOString(),
          body: { badgeUid: 'FFFF0000AA', reason: 'unknown_badge' },
        }
        a.client.publish(agentTopic(a.slug, 'events'), JSON.stringify(event), { qos: 1 })
      }
      // Spread over the second, as real agents are.
      timers.push(
        setTimeout(() => {
          send()
          timers.push(setInterval(send, 1000))
        }, Math.random() * 1000),
      )
      timers.push(
        setInterval(
          () => a.client.publish(agentTopic(a.slug, 'status'), status(true), { qos: 1, retain: true }),
          heartbeatMs,
        ),
      )
    }
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, server.rssMiB())
    }, 500)
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
    for (const t of timers) clearInterval(t)
    const runSeconds = (performance.now() - started) / 1000
    const cpu = server.cpuSeconds() - cpuStart
    const brokerCpu = broker.pid ? cpuSecondsOfPid(broker.pid) - brokerCpuStart : null

    progress('scale: waiting for every event to be acknowledged')
    const sent = agents.reduce((sum, a) => sum + a.sent, 0)
    const drainStart = performance.now()
    const deadline = drainStart + 60_000
    while (agents.some((a) => a.acked < a.sent) && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const drainSeconds = (performance.now() - drainStart) / 1000
    clearInterval(sampler)
    const stored = await database.db.agentEvent.count({ where: { agent: { slug: { startsWith: 'sim-' } } } })
    const unacked = agents.reduce((sum, a) => sum + (a.sent - a.acked), 0)
    const common = { db: database.provider, broker: broker.name }
    const brokerNote = !broker.url
      ? ' (the embedded broker included)'
      : brokerCpu === null
        ? '; Mosquitto not counted (not the bench’s own)'
        : `; Mosquitto, its own process: ${round((brokerCpu / runSeconds) * 100, 1)} % of a core`
    const run = `${count} agents × ${round(runSeconds, 0)} s, ${sent} events`
    return [
      {
        name: 'agents_1000_lost_events',
        value: sent - stored,
        unit: 'events',
        baseline: 0,
        ratio: null,
        target: '0',
        note: `${run}; ${stored} stored, ${unacked} unacknowledged ${round(drainSeconds, 1)} s after the last`,
        ...common,
      },
      {
        name: 'agents_1000_server_cpu_percent',
        value: round((cpu / runSeconds) * 100, 1),
        unit: '% of a core',
        baseline: null,
        ratio: null,
        target: null,
        note: `${run}${brokerNote}`,
        ...common,
      },
      {
        name: 'agents_1000_server_rss_mib',
        value: round(rssPeak, 0),
        unit: 'MiB',
        baseline: null,
        ratio: null,
        target: null,
        note: `peak resident memory of the server process; ${run}`,
        ...common,
      },
    ]
  } finally {
    for (const t of timers) clearInterval(t)
    await Promise.all(agents.map((a) => a.client.endAsync(true).catch(() => {})))
    await server.stop().catch(() => {})
    await clearRetained(
      broker,
      slugs.flatMap((slug) => [agentTopic(slug, 'status'), agentTopic(slug, 'rights')]),
    ).catch(() => {})
    await database.drop().catch(() => {})
  }
}
