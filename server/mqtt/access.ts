// Who may connect to the embedded broker and which topics each may touch: one place,
// mirrored by firmware-config/mosquitto/acl for an external Mosquitto.
//   - the server (an internal credential made at each start): everything;
//   - agent X (its slug + the credential shown once at registration): its own
//     fablab/v1/agents/X/# and the device topics (Tasmota, Shelly), never another agent's,
//     and it may read fablab/v1/server/online;
//   - devices (Tasmota/Shelly, user "devices"): device topics only, nothing under fablab/.
import type { AedesOptions } from 'aedes'
import { PREFIX, SERVER_ONLINE_TOPIC } from '../../protocol/mqtt.js'
import type { Db } from '../db/client.js'
import { hashSecret } from '../lib/secrets.js'

export type MqttIdentity = { kind: 'server' } | { kind: 'agent'; agent: string } | { kind: 'devices' }

const AGENTS_PREFIX = `${PREFIX}/`

export function mayPublish(who: MqttIdentity, topic: string): boolean {
  if (who.kind === 'server') return true
  if (topic.startsWith('$')) return false
  if (who.kind === 'agent' && topic.startsWith(`${AGENTS_PREFIX}${who.agent}/`)) {
    // Server → agent topics are written by the server only.
    const leaf = topic.slice(AGENTS_PREFIX.length + who.agent.length + 1)
    return ['status', 'events'].includes(leaf)
  }
  return !topic.startsWith('fablab/') && topic !== 'fablab'
}

export function maySubscribe(who: MqttIdentity, filter: string): boolean {
  if (who.kind === 'server') return true
  if (who.kind === 'agent' && filter.startsWith(`${AGENTS_PREFIX}${who.agent}/`)) return true
  if (who.kind === 'agent' && filter === SERVER_ONLINE_TOPIC) return true
  const levels = filter.split('/')
  const first = levels[0]
  if (first === '#' || first === 'fablab' || first?.startsWith('$')) return false
  // A filter starting with "+" could still reach fablab/v1/agents/<other>/… through wildcards.
  if (first === '+' && (filter.includes('#') || levels.length >= 5)) return false
  return true
}

export interface BrokerCredentials {
  server: { username: string; password: string }
  devicesPassword: string
}

/** Aedes hooks enforcing the rules above; agent credentials are checked in the database. */
export function brokerSecurity(db: Db, credentials: BrokerCredentials, log: (msg: string) => void): AedesOptions {
  const identities = new WeakMap<object, MqttIdentity>()
  const refuse = (code: 4 | 5) =>
    Object.assign(new Error(code === 4 ? 'bad username or password' : 'not authorized'), { returnCode: code })
  return {
    authenticate: (client, username, password, done) => {
      const secret = password?.toString() ?? ''
      const accept = (who: MqttIdentity) => {
        identities.set(client, who)
        done(null, true)
      }
      if (username === credentials.server.username) {
        return secret === credentials.server.password ? accept({ kind: 'server' }) : done(refuse(4) as never, false)
      }
      if (username === 'devices') {
        return secret === credentials.devicesPassword ? accept({ kind: 'devices' }) : done(refuse(4) as never, false)
      }
      if (!username) return done(refuse(5) as never, false)
      db.agent.findUnique({ where: { slug: username } }).then(
        (agent) => {
          if (agent && agent.credentialHash === hashSecret(secret)) return accept({ kind: 'agent', agent: agent.slug })
          log(`mqtt: refused connection as "${username}"`)
          done(refuse(4) as never, false)
        },
        () => done(refuse(5) as never, false),
      )
    },
    authorizePublish: (client, packet, callback) => {
      // Messages the broker publishes itself (client null) are trusted.
      const who = client ? identities.get(client) : ({ kind: 'server' } as const)
      if (who && mayPublish(who, packet.topic)) return callback(null)
      log(`mqtt: refused publish by ${client?.id} on ${packet.topic}`)
      callback(new Error('not authorized'))
    },
    authorizeSubscribe: (client, subscription, callback) => {
      const who = identities.get(client)
      if (who && maySubscribe(who, subscription.topic)) return callback(null, subscription)
      log(`mqtt: refused subscription by ${client.id} to ${subscription.topic}`)
      // A null subscription answers 0x80 (failure) in the SUBACK and keeps the client connected.
      callback(null, null)
    },
  }
}
