// The server's connection to the MQTT broker (embedded Aedes or an external one).
// Issue #4 builds the agent link on top of it; here it reports the broker's state.
import mqtt, { type MqttClient } from 'mqtt'
import { sendImmediately } from '../../protocol/mqtt.js'

export type BrokerState = 'connected' | 'connecting' | 'disconnected' | 'disabled'

export class MqttLink {
  readonly client: MqttClient | null
  constructor(
    readonly url: string | null,
    readonly mode: 'embedded' | 'external' | 'disabled',
    username?: string,
    password?: string,
  ) {
    this.client = url
      ? mqtt.connect(url, {
          // Aedes speaks MQTT 3.1.1 only; Mosquitto accepts it too.
          protocolVersion: 4,
          clientId: `fablab-server-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
          reconnectPeriod: 1000,
          connectTimeout: 5000,
          username,
          password,
        })
      : null
    // Errors are reconnected by mqtt.js; an unhandled 'error' event would crash the process.
    this.client?.on('error', () => {})
    if (this.client) sendImmediately(this.client)
  }

  get state(): BrokerState {
    if (!this.client) return 'disabled'
    if (this.client.connected) return 'connected'
    return this.client.reconnecting || !this.client.disconnected ? 'connecting' : 'disconnected'
  }

  async close() {
    await this.client?.endAsync(true)
  }
}
