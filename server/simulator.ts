// The demo workshop's simulated agent (SIMULATOR=on, the default of `npm start`): the real
// agent code with fake readers and relays, connected to our broker like a Raspberry Pi
// would be, driving the machines of the demo agent. Staff tap demo badges from the
// browser (POST /api/v1/spaces/{space}/simulator/tap) and watch the workshop react.
import { join } from 'node:path'
import { Agent } from '../agent/agent.js'
import type { AppConfig } from './config.js'
import type { Db } from './db/client.js'
import { DEMO } from './db/seed.js'
import { hashSecret } from './lib/secrets.js'

export async function startSimulator(
  db: Db,
  config: AppConfig,
  serverUrl: string,
  mqttUrl: string,
  log: (message: string) => void,
): Promise<Agent | null> {
  const agent = await db.agent.findUnique({ where: { slug: DEMO.agent.slug }, include: { machines: true } })
  // Only the demo agent's credential is known here (the seed made it); a real agent keeps its own.
  if (!agent || agent.credentialHash !== hashSecret(DEMO.agent.token) || !agent.machines.length) {
    log(`simulator: no demo agent "${DEMO.agent.slug}" with its demo credential and machines: not started`)
    return null
  }
  const simulated = new Agent(
    {
      id: agent.slug,
      server: serverUrl,
      mqtt: mqttUrl,
      token: DEMO.agent.token,
      dataDir: join(config.dataDir, 'simulator'),
      machines: agent.machines.map((m) => ({ machine: m.slug, reader: { type: 'fake' }, relay: { type: 'fake' } })),
    },
    { simulate: true, log: (level, message) => level !== 'info' && log(`simulator: ${message}`) },
  )
  await simulated.start()
  log(`simulator: demo agent "${agent.slug}" drives ${agent.machines.map((m) => m.slug).join(', ')}`)
  return simulated
}
