// Copies of the rows every request reads (who calls, their membership and space, the
// planning's version), kept while the database's change stamp stays the same: a planning
// revalidated by dozens of screens, or an API client polling, then costs no read at all.
// Any write, by this process or another (see changeStamp), gives a new stamp and the
// copies are read again. Kept values are shared between requests: they are frozen.
import { changeStamp, type Db } from './client.js'

interface Entry<V> {
  stamp: string
  value: V
  keptAt: number
}

/**
 * Beyond this, a copy is read again even under the same stamp: a PostgreSQL notification
 * lost without the connection noticing (it listens with keep-alives) costs at most this.
 */
const MAX_AGE_MS = 10_000

export class StampedCache<V> {
  /** Per database: tests (and tools) open several in one process. */
  private readonly byDb = new WeakMap<Db, Map<string, Entry<V>>>()

  constructor(private readonly maxEntries = 10_000) {}

  /** The value kept under the current stamp, else `read()` (kept when a stamp is known). */
  async get(db: Db, key: string, read: () => Promise<V>): Promise<V> {
    // Taken before the read: a write that lands during it gives the next request a new stamp.
    const stamp = changeStamp(db)
    if (stamp === null) return read()
    let entries = this.byDb.get(db)
    if (!entries) {
      entries = new Map()
      this.byDb.set(db, entries)
    }
    const now = Date.now()
    const kept = entries.get(key)
    if (kept && kept.stamp === stamp && now - kept.keptAt < MAX_AGE_MS) return kept.value
    const value = deepFreeze(await read())
    if (!kept && entries.size >= this.maxEntries) entries.clear() // a burst of distinct keys: start again
    entries.set(key, { stamp, value, keptAt: now })
    return value
  }
}

function deepFreeze<V>(value: V): V {
  if (value && typeof value === 'object' && !(value instanceof Date) && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const inner of Object.values(value)) deepFreeze(inner)
  }
  return value
}
