// The embedded MQTT broker (Aedes) used when MQTT_URL is not set.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { Aedes, type AedesOptions } from 'aedes'
import type { AppConfig } from '../config.js'
import type { BrokerCredentials } from './access.js'

/**
 * The server's own credential is made anew at each start (only this process uses it);
 * the devices' password is MQTT_DEVICE_PASSWORD, or one generated once into DATA_DIR.
 */
export function embeddedBrokerCredentials(config: AppConfig): BrokerCredentials {
  let devicesPassword = config.mqttDevicePassword
  if (!devicesPassword) {
    const file = join(config.dataDir, 'mqtt-device-password')
    if (!existsSync(file)) {
      mkdirSync(config.dataDir, { recursive: true })
      writeFileSync(file, randomBytes(18).toString('base64url'), { mode: 0o600, flag: 'wx' })
    }
    devicesPassword = readFileSync(file, 'utf8').trim()
  }
  return { server: { username: 'fablab-server', password: randomBytes(24).toString('base64url') }, devicesPassword }
}

export interface EmbeddedBroker {
  port: number
  url: string
  aedes: Aedes
  close(): Promise<void>
}

export async function startEmbeddedBroker(
  port: number,
  host: string,
  options: AedesOptions = {},
): Promise<EmbeddedBroker> {
  const aedes = await Aedes.createBroker(options)
  // noDelay: small packets (taps, acks, rights versions) go out at once, not after Nagle's delay.
  const server: Server = createServer({ noDelay: true }, aedes.handle)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  const actualPort = typeof address === 'object' && address ? address.port : port
  return {
    port: actualPort,
    url: `mqtt://${host === '0.0.0.0' ? '127.0.0.1' : host}:${actualPort}`,
    aedes,
    close: async () => {
      await new Promise<void>((resolve) => aedes.close(() => resolve()))
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
