// agent.yaml: validated at start with every bad field listed at once, before any relay
// is touched. See firmware-config/agent.example.yaml.
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { type Static, type TSchema, Type } from 'typebox'
import { Value } from 'typebox/value'
import { parse as parseYaml } from 'yaml'

const SerialPath = Type.String({ minLength: 1, maxLength: 200 })
const Topic = Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' })

// Device shapes by type: each device is checked against the shape its `type` names, so
// errors speak of that shape (a plain union would only say "no variant matched").
const readerShapes = {
  rdm6300: Type.Object({ type: Type.Literal('rdm6300'), port: SerialPath }, { additionalProperties: false }),
  line: Type.Object(
    {
      type: Type.Literal('line'),
      port: SerialPath,
      baudRate: Type.Optional(Type.Integer({ minimum: 1200, maximum: 1_000_000 })),
    },
    { additionalProperties: false },
  ),
  tasmota: Type.Object({ type: Type.Literal('tasmota'), topic: Topic }, { additionalProperties: false }),
  fake: Type.Object({ type: Type.Literal('fake') }, { additionalProperties: false }),
}
const relayShapes = {
  lcus: Type.Object(
    { type: Type.Literal('lcus'), port: SerialPath, channel: Type.Integer({ minimum: 1, maximum: 8 }) },
    { additionalProperties: false },
  ),
  tasmota: Type.Object({ type: Type.Literal('tasmota'), topic: Topic }, { additionalProperties: false }),
  shelly: Type.Object({ type: Type.Literal('shelly'), id: Topic }, { additionalProperties: false }),
  fake: Type.Object({ type: Type.Literal('fake') }, { additionalProperties: false }),
}
const ReaderSchema = Type.Union([readerShapes.rdm6300, readerShapes.line, readerShapes.tasmota, readerShapes.fake])
const RelaySchema = Type.Union([relayShapes.lcus, relayShapes.tasmota, relayShapes.shelly, relayShapes.fake])
const DeviceStub = Type.Object({ type: Type.String() })

const configSchema = <R extends TSchema, L extends TSchema>(reader: R, relay: L) =>
  Type.Object(
    {
      id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
      server: Type.String({ pattern: '^https?://' }),
      mqtt: Type.String({ pattern: '^(mqtts?|wss?)://' }),
      token: Type.Optional(Type.String({ minLength: 8 })),
      tokenFile: Type.Optional(Type.String({ minLength: 1 })),
      dataDir: Type.String({ minLength: 1 }),
      /** How long a rights snapshot is trusted without news from the server; then only staff. */
      rightsTtlHours: Type.Optional(Type.Number({ minimum: 0.1, maximum: 24 * 30 })),
      machines: Type.Array(
        Type.Object(
          {
            machine: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
            reader,
            relay,
            power: Type.Optional(
              Type.Object(
                {
                  idleBelowWatts: Type.Optional(Type.Number({ minimum: 0 })),
                  idleMinutes: Type.Optional(Type.Number({ minimum: 1, maximum: 1440 })),
                },
                { additionalProperties: false },
              ),
            ),
          },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: 32 },
      ),
    },
    { additionalProperties: false },
  )
export const AgentConfigSchema = configSchema(ReaderSchema, RelaySchema)
const TopLevelSchema = configSchema(DeviceStub, DeviceStub)
export type AgentConfig = Static<typeof AgentConfigSchema> & { token: string }

export class AgentConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: invalid agent configuration\n  - ${problems.join('\n  - ')}`)
  }
}

const pathOf = (instancePath: string, prefix = '') =>
  `${prefix}${instancePath}`.replace(/^\//, '').replace(/\//g, '.') || '(top level)'

function schemaProblems(schema: TSchema, data: unknown, prefix = ''): string[] {
  const problems: string[] = []
  for (const e of Value.Errors(schema, data)) {
    const path = pathOf(e.instancePath, prefix)
    if (e.keyword === 'additionalProperties') {
      const extra = (e.params as { additionalProperties?: string[] }).additionalProperties ?? []
      problems.push(`${path}: unknown field${extra.length > 1 ? 's' : ''} ${extra.map((f) => `"${f}"`).join(', ')}`)
    } else if (e.keyword === 'required') {
      const missing = (e.params as { requiredProperties?: string[] }).requiredProperties ?? []
      const base = path === '(top level)' ? '' : `${path}.`
      for (const field of missing) problems.push(`${base}${field}: required`)
      if (!missing.length) problems.push(`${path}: ${e.message}`)
    } else if (e.message !== 'schema is false') problems.push(`${path}: ${e.message}`)
  }
  return problems
}

/** Every problem of a parsed config, as "path: message" lines (empty when valid). */
export function configProblems(data: unknown): string[] {
  const problems = schemaProblems(TopLevelSchema, data)
  const config = (data && typeof data === 'object' ? data : {}) as {
    token?: unknown
    tokenFile?: unknown
    machines?: unknown
  }
  const machines = Array.isArray(config.machines) ? (config.machines as Record<string, unknown>[]) : []
  const seen = new Set<unknown>()
  for (const [i, m] of machines.entries()) {
    for (const [kind, shapes] of [
      ['reader', readerShapes],
      ['relay', relayShapes],
    ] as const) {
      const device = m?.[kind] as { type?: unknown } | undefined
      if (!device || typeof device !== 'object' || typeof device.type !== 'string') continue // reported above
      const shape = (shapes as Record<string, TSchema>)[device.type]
      if (!shape) problems.push(`machines.${i}.${kind}: ${describeDevice(kind)}`)
      else problems.push(...schemaProblems(shape, device, `machines.${i}.${kind}`))
    }
    if (seen.has(m?.machine)) problems.push(`machines.${i}.machine: "${String(m?.machine)}" appears twice`)
    seen.add(m?.machine)
  }
  if (!config.token && !config.tokenFile) problems.push('token: give token or tokenFile')
  return [...new Set(problems)]
}

function describeDevice(kind: 'reader' | 'relay') {
  return kind === 'reader'
    ? 'must be {type: rdm6300, port}, {type: line, port, baudRate?}, {type: tasmota, topic} or {type: fake}'
    : 'must be {type: lcus, port, channel 1..8}, {type: tasmota, topic}, {type: shelly, id} or {type: fake}'
}

export function loadAgentConfig(file: string): AgentConfig {
  let data: unknown
  try {
    data = parseYaml(readFileSync(file, 'utf8'))
  } catch (error) {
    throw new AgentConfigError(file, [`cannot read YAML: ${(error as Error).message.split('\n')[0]}`])
  }
  const problems = configProblems(data)
  if (problems.length) throw new AgentConfigError(file, problems)
  const config = data as Static<typeof AgentConfigSchema>
  const dir = dirname(resolve(file))
  let token = config.token
  if (!token && config.tokenFile) {
    try {
      token = readFileSync(resolve(dir, config.tokenFile), 'utf8').trim()
    } catch (error) {
      throw new AgentConfigError(file, [
        `tokenFile: cannot read ${config.tokenFile}: ${(error as NodeJS.ErrnoException).code}`,
      ])
    }
  }
  return { ...config, dataDir: resolve(dir, config.dataDir), token: token! }
}
