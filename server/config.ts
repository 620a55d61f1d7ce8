// Server configuration from the environment, validated once at start: every problem is
// listed at once. Defaults are the embedded ones `npm start` runs on.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { providerOf } from './db/client.js'

export interface AppConfig {
  host: string
  port: number
  dataDir: string
  databaseUrl: string
  /** External broker; null → the server embeds one (Aedes) on mqttPort. */
  mqttUrl: string | null
  mqttPort: number
  /** Address the embedded broker listens on. */
  mqttHost: string
  /** Credentials of the server on an external broker. */
  mqttUsername?: string
  mqttPassword?: string
  /** Password of the "devices" user (Tasmota, Shelly) on the embedded broker; generated when unset. */
  mqttDevicePassword: string
  /** Shared subscription group for several server instances on one broker (MQTT 5 / Mosquitto); null: plain subscriptions. */
  mqttSharedGroup: string | null
  simulator: boolean
  sessionSecret: string
  /** Built web UI to serve at /; null → a small placeholder page. */
  webDist: string | null
  logLevel: string
  /** Mark cookies Secure (set behind HTTPS). */
  secureCookies: boolean
  sessionDays: number
  loginAttemptsPerMinute: number
  bodyLimitBytes: number
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`)
  }
}

const bool = (v: string) => ['1', 'true', 'on', 'yes'].includes(v.toLowerCase())
const isBool = (v: string) => ['1', '0', 'true', 'false', 'on', 'off', 'yes', 'no'].includes(v.toLowerCase())

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<AppConfig> = {}): AppConfig {
  const problems: string[] = []
  const int = (name: string, fallback: number, min: number, max: number) => {
    const raw = env[name]
    if (raw === undefined || raw === '') return fallback
    const n = Number(raw)
    if (!Number.isInteger(n) || n < min || n > max)
      problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`)
    return n
  }
  const flag = (name: string, fallback: boolean) => {
    const raw = env[name]
    if (raw === undefined || raw === '') return fallback
    if (!isBool(raw)) problems.push(`${name} must be on or off (got "${raw}")`)
    return bool(raw)
  }

  const dataDir = resolve(env.DATA_DIR || './data')
  const databaseUrl = env.DATABASE_URL || `file:${join(dataDir, 'fablab.db')}`
  try {
    providerOf(databaseUrl)
  } catch (error) {
    problems.push((error as Error).message)
  }
  const mqttUrl = env.MQTT_URL || null
  if (mqttUrl && !/^mqtts?:\/\/|^wss?:\/\//.test(mqttUrl))
    problems.push(`MQTT_URL must start with mqtt://, mqtts://, ws:// or wss:// (got "${mqttUrl}")`)
  const webDist = env.WEB_DIST ? resolve(env.WEB_DIST) : resolve(import.meta.dirname, '../web/dist')

  const config: AppConfig = {
    host: env.HOST || '0.0.0.0',
    port: int('PORT', 3000, 0, 65535),
    dataDir,
    databaseUrl,
    mqttUrl,
    mqttPort: int('MQTT_PORT', 1883, 0, 65535),
    mqttHost: env.MQTT_HOST || '127.0.0.1',
    mqttUsername: env.MQTT_USERNAME || undefined,
    mqttPassword: env.MQTT_PASSWORD || undefined,
    mqttDevicePassword: env.MQTT_DEVICE_PASSWORD || '',
    mqttSharedGroup: env.MQTT_SHARED_GROUP || null,
    simulator: flag('SIMULATOR', false),
    sessionSecret: env.SESSION_SECRET || '',
    webDist: existsSync(join(webDist, 'index.html')) ? webDist : null,
    logLevel: env.LOG_LEVEL || 'info',
    secureCookies: flag('SECURE_COOKIES', false),
    sessionDays: int('SESSION_DAYS', 14, 1, 365),
    loginAttemptsPerMinute: int('LOGIN_ATTEMPTS_PER_MINUTE', 10, 1, 10_000),
    bodyLimitBytes: int('BODY_LIMIT_BYTES', 1_048_576, 1024, 100 * 1_048_576),
    ...overrides,
  }
  if (config.sessionSecret && config.sessionSecret.length < 32)
    problems.push('SESSION_SECRET must be at least 32 characters')
  if (problems.length) throw new ConfigError(problems)
  return config
}

/** SESSION_SECRET when given, else one generated once and kept in dataDir. */
export function ensureSessionSecret(config: AppConfig): AppConfig {
  if (config.sessionSecret) return config
  const file = join(config.dataDir, 'session-secret')
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true })
    writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' })
  }
  return { ...config, sessionSecret: readFileSync(file, 'utf8').trim() }
}
