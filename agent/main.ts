// npm run agent -- --config agent.yaml [--simulate [--http-port 8099]]
// Validates the configuration (every error listed, exit 2, no relay touched), then runs.
// --simulate replaces every device by its fake and serves a tiny local HTTP API:
//   POST /tap {"machine","uid"}  — present a badge;  GET /machines — relay states.
import { createServer } from 'node:http'
import { parseArgs } from 'node:util'
import { Agent } from './agent.js'
import { AgentConfigError, loadAgentConfig } from './core/config.js'

const { values } = parseArgs({
  options: {
    config: { type: 'string', short: 'c' },
    simulate: { type: 'boolean', default: false },
    'http-port': { type: 'string', default: '8099' },
  },
})
if (!values.config) {
  console.error('usage: npm run agent -- --config agent.yaml [--simulate]')
  process.exit(2)
}

let config: ReturnType<typeof loadAgentConfig>
try {
  config = loadAgentConfig(values.config)
} catch (error) {
  console.error(error instanceof AgentConfigError ? error.message : String(error))
  process.exit(2)
}

const agent = new Agent(config, { simulate: values.simulate })
process.on('SIGINT', () => void agent.stop().then(() => process.exit(0)))
process.on('SIGTERM', () => void agent.stop().then(() => process.exit(0)))
await agent.start()
console.log(
  JSON.stringify({
    level: 'info',
    message: 'agent started',
    id: config.id,
    machines: config.machines.map((m) => m.machine),
    simulate: values.simulate,
  }),
)

if (values.simulate) {
  const server = createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    if (req.method === 'GET' && req.url === '/machines') {
      return reply(
        200,
        [...agent.controllers.values()].map((c) => ({
          machine: c.machine,
          state: c.state,
          relay: agent.devices.get(c.machine)?.relay.isOn ?? null,
        })),
      )
    }
    if (req.method === 'POST' && req.url === '/tap') {
      let body = ''
      req.on('data', (d) => {
        body += d
        if (body.length > 10_000) req.destroy()
      })
      req.on('end', () => {
        try {
          const { machine, uid } = JSON.parse(body)
          agent.tap(String(machine), String(uid))
          reply(202, { ok: true })
        } catch (error) {
          reply(400, { error: (error as Error).message })
        }
      })
      return
    }
    reply(404, { error: 'POST /tap {machine, uid} or GET /machines' })
  })
  server.listen(Number(values['http-port']), '127.0.0.1', () =>
    console.log(`simulator: http://127.0.0.1:${values['http-port']}`),
  )
}
