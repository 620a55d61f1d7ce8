// Picks the driver for each reader and relay of agent.yaml. Relays on the same LCUS board
// (same serial port) share one port. The config validator (agent/core/config.ts) checks
// the shapes first; the checks here only keep a bad object from reaching a driver.
import type { MqttClient } from 'mqtt'
import { FakeReader, FakeRelay } from './fake.js'
import { LCUS_MAX_CHANNEL, LcusRelay, sharedLcusBoard } from './lcus.js'
import { LineReader } from './line-reader.js'
import { type DeviceLogger, silentLogger, warnLogger } from './logger.js'
import { Rdm6300Reader } from './rdm6300.js'
import { type PortFactory, portsFor, realPorts, type SerialBinding } from './serial.js'
import { ShellyRelay, shellySrc } from './shelly.js'
import { TasmotaReader, TasmotaRelay } from './tasmota.js'
import type { BadgeReader, Relay } from './types.js'

export type ReaderConfig =
  | { type: 'rdm6300'; port: string }
  | { type: 'line'; port: string; baudRate?: number }
  | { type: 'tasmota'; topic: string }
  | { type: 'fake' }
export type RelayConfig =
  | { type: 'lcus'; port: string; channel: number }
  | { type: 'tasmota'; topic: string }
  | { type: 'shelly'; id: string }
  | { type: 'fake' }

export interface DeviceDeps {
  /** The agent's broker connection, shared by every MQTT device (needed by tasmota/shelly). */
  mqtt?: MqttClient
  /** A serialport binding instead of the real one, e.g. @serialport/binding-mock's MockBinding. */
  serialBinding?: SerialBinding
  /** Or a whole port factory (wins over serialBinding). */
  ports?: PortFactory
  logger?: DeviceLogger
  /** The clock of the tap debouncers (default Date.now). */
  now?: () => number
  /** A card counts again once absent this long (default 500 ms serial, 3000 ms Tasmota). */
  tapAbsentMs?: number
  /** Serial reopen backoff: first delay and cap (default 1000 and 5000 ms). */
  retryMs?: number
  maxRetryMs?: number
  /** Shelly RPC source (answers come on `{src}/rpc`); default: the MQTT client id. */
  shellySrc?: string
  /** Fakes instead of every device (agent --simulate). */
  simulate?: boolean
}

function need<T>(value: T | undefined | null, what: string, check: (v: T) => boolean = () => true): T {
  if (value === undefined || value === null || !check(value)) throw new Error(`device config: ${what}`)
  return value
}
const nonEmpty = (s: unknown) => typeof s === 'string' && s.length > 0

function portsOf(deps: DeviceDeps): PortFactory {
  if (deps.ports) return deps.ports
  return deps.serialBinding ? portsFor(deps.serialBinding) : realPorts
}

function mqttOf(deps: DeviceDeps, what: string): MqttClient {
  if (!deps.mqtt) throw new Error(`device config: ${what} needs the agent's MQTT connection (deps.mqtt)`)
  return deps.mqtt
}

export function createReader(config: ReaderConfig, deps: DeviceDeps = {}): BadgeReader {
  const type = (config as { type?: unknown } | null)?.type
  if (deps.simulate || type === 'fake') return new FakeReader()
  const common = {
    ports: portsOf(deps),
    now: deps.now,
    absentMs: deps.tapAbsentMs,
    retryMs: deps.retryMs,
    maxRetryMs: deps.maxRetryMs,
  }
  switch (config.type) {
    case 'rdm6300':
      return new Rdm6300Reader(need(config.port, 'rdm6300 reader: port is required', nonEmpty), common)
    case 'line':
      return new LineReader(need(config.port, 'line reader: port is required', nonEmpty), {
        ...common,
        baudRate:
          config.baudRate === undefined ? undefined : need(config.baudRate, 'line reader: bad baudRate', isBaud),
      })
    case 'tasmota':
      return new TasmotaReader(
        mqttOf(deps, 'a Tasmota reader'),
        need(config.topic, 'tasmota reader: topic is required', isTopic),
        { now: deps.now, absentMs: deps.tapAbsentMs, logger: deps.logger },
      )
    default:
      throw new Error(`device config: unknown reader type ${JSON.stringify(type)}`)
  }
}

export function createRelay(config: RelayConfig, deps: DeviceDeps = {}): Relay {
  const type = (config as { type?: unknown } | null)?.type
  if (deps.simulate || type === 'fake') return new FakeRelay()
  switch (config.type) {
    case 'lcus': {
      const path = need(config.port, 'lcus relay: port is required', nonEmpty)
      const channel = need(
        config.channel,
        `lcus relay: channel must be an integer from 1 to ${LCUS_MAX_CHANNEL}`,
        (c) => Number.isInteger(c) && c >= 1 && c <= LCUS_MAX_CHANNEL,
      )
      const board = sharedLcusBoard(path, portsOf(deps), { retryMs: deps.retryMs, maxRetryMs: deps.maxRetryMs })
      return new LcusRelay(board, channel)
    }
    case 'tasmota':
      return new TasmotaRelay(
        mqttOf(deps, 'a Tasmota relay'),
        need(config.topic, 'tasmota relay: topic is required', isTopic),
        deps.logger,
      )
    case 'shelly': {
      const client = mqttOf(deps, 'a Shelly relay')
      const src = shellySrc(deps.shellySrc ?? client.options?.clientId)
      return new ShellyRelay(client, need(config.id, 'shelly relay: id is required', isTopic), src, deps.logger)
    }
    default:
      throw new Error(`device config: unknown relay type ${JSON.stringify(type)}`)
  }
}

/** One MQTT topic level: no wildcards, no separators. */
function isTopic(s: unknown) {
  return nonEmpty(s) && !/[#+/\s]/.test(s as string)
}
function isBaud(n: unknown) {
  return typeof n === 'number' && Number.isInteger(n) && n > 0
}

/** The factory with its dependencies bound (what agent/agent.ts uses). */
export class DeviceFactory {
  private deps: DeviceDeps

  /** `log` is the older warnings-only logger; `logger` wins when both are given. */
  constructor(deps: DeviceDeps & { log?: (message: string) => void } = {}) {
    const { log, ...rest } = deps
    this.deps = { ...rest, logger: rest.logger ?? (log ? warnLogger(log) : silentLogger) }
  }

  reader(config: ReaderConfig): BadgeReader {
    return createReader(config, this.deps)
  }

  relay(config: RelayConfig): Relay {
    return createRelay(config, this.deps)
  }
}
