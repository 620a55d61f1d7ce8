// Sends each agent its rights when something that affects a decision changed: the
// snapshot itself (retained, so an agent that reconnects gets it at once) when small,
// else a pointer it fetches over HTTPS (GET /api/v1/agents/{id}/rights).
import type { MqttClient } from 'mqtt'
import { agentTopic } from '../../protocol/mqtt.js'
import type { Db } from '../db/client.js'
import { currentRights } from '../services/rights.js'

/** Snapshots above this size go by HTTPS; MQTT carries only the pointer. */
const INLINE_LIMIT_BYTES = 128 * 1024
/** Changes within this window go out as one new version. */
const DEBOUNCE_MS = 25
/** Bookings enter and leave the snapshot's time window: refresh every agent this often. */
const REFRESH_MS = 10 * 60_000

export class RightsPublisher {
  private dirty = new Set<string>()
  private dirtyAgents = new Set<string>()
  private timer: NodeJS.Timeout | null = null
  private batch: { promise: Promise<void>; resolve: () => void } | null = null
  private refresher: NodeJS.Timeout
  private running: Promise<void> = Promise.resolve()

  constructor(
    private db: Db,
    private mqtt: () => MqttClient | null,
    private onError: (error: unknown) => void,
  ) {
    this.refresher = setInterval(() => void this.spaceChanged('*'), REFRESH_MS).unref()
  }

  /**
   * Something in this space (or '*': anywhere) may change what its agents decide.
   * Resolves once the resulting versions are published.
   */
  spaceChanged(spaceId: string): Promise<void> {
    this.dirty.add(spaceId)
    return this.schedule()
  }

  /** Something that only these agents decide on changed (a booking on one of their machines). */
  agentsChanged(agentIds: string[]): Promise<void> {
    for (const id of agentIds) this.dirtyAgents.add(id)
    return this.schedule()
  }

  private schedule(): Promise<void> {
    if (!this.batch) {
      let resolve = () => {}
      const promise = new Promise<void>((r) => {
        resolve = r
      })
      this.batch = { promise, resolve }
      this.timer = setTimeout(() => this.flush(), DEBOUNCE_MS)
    }
    return this.batch.promise
  }

  private flush() {
    const batch = this.batch
    this.batch = null
    this.timer = null
    const spaces = [...this.dirty]
    const agentIds = [...this.dirtyAgents]
    this.dirty.clear()
    this.dirtyAgents.clear()
    this.running = this.running
      .then(() => this.publish(spaces, agentIds))
      .catch(this.onError)
      .finally(() => batch?.resolve())
  }

  private async publish(spaces: string[], agentIds: string[]) {
    const client = this.mqtt()
    const agents = await this.db.agent.findMany({
      where: spaces.includes('*') ? {} : { OR: [{ spaceId: { in: spaces } }, { id: { in: agentIds } }] },
    })
    for (const agent of agents) {
      const before = agent.rightsVersion
      const snapshot = await currentRights(this.db, agent.id)
      if (snapshot.version === before && agent.rightsHash !== null) continue
      const json = JSON.stringify(snapshot)
      const pointer = { version: snapshot.version, hash: snapshot.hash, url: `/api/v1/agents/${agent.slug}/rights` }
      const payload =
        json.length <= INLINE_LIMIT_BYTES ? JSON.stringify({ ...pointer, snapshot }) : JSON.stringify(pointer)
      await client?.publishAsync(agentTopic(agent.slug, 'rights'), payload, { qos: 1, retain: true })
    }
  }

  close() {
    clearInterval(this.refresher)
    if (this.timer) clearTimeout(this.timer)
  }
}
