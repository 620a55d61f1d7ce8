// A real MQTT broker for a test: the embedded Aedes on an ephemeral port (with the
// server's security rules when a database is given), or the Mosquitto named by
// MQTT_TEST_URL (CI's broker suite). Topics are the real ones: each test file has its
// own broker or its own agent ids, so runs do not collide.
import mqtt, { type MqttClient } from 'mqtt'
import { sendImmediately } from '../../protocol/mqtt.js'
import type { Db } from '../../server/db/client.js'
import { type BrokerCredentials, brokerSecurity } from '../../server/mqtt/access.js'
import { startEmbeddedBroker } from '../../server/mqtt/broker.js'

export interface TestBroker {
  url: string
  kind: 'aedes' | 'mosquitto'
  /** Credentials for the server's own connection (empty on an anonymous Mosquitto). */
  server: { username?: string; password?: string }
  close(): Promise<void>
}

export const testBrokerCredentials: BrokerCredentials = {
  server: { username: 'fablab-server', password: 'test-server-password' },
  devicesPassword: 'test-devices-password',
}

export async function startTestBroker(db?: Db): Promise<TestBroker> {
  if (process.env.MQTT_TEST_URL) {
    return { url: process.env.MQTT_TEST_URL, kind: 'mosquitto', server: {}, close: async () => {} }
  }
  const broker = await startEmbeddedBroker(
    0,
    '127.0.0.1',
    db ? brokerSecurity(db, testBrokerCredentials, () => {}) : {},
  )
  return { url: broker.url, kind: 'aedes', server: db ? testBrokerCredentials.server : {}, close: () => broker.close() }
}

export async function connectClient(url: string, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const client = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, ...options })
  sendImmediately(client) // as the agent and the server do: baselines compare like with like
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve())
    client.once('error', reject)
  })
  return client
}
