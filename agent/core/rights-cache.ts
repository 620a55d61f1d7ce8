// The last rights snapshot, kept in dataDir so the agent decides from it at start when
// the server cannot be reached. Written atomically: a crash leaves the old or the new file.
// Decisions use a new snapshot at once; the file follows off the event loop, so its fsync
// never holds up a tap arriving meanwhile.
import { mkdirSync, readFileSync } from 'node:fs'
import { open, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { Value } from 'typebox/value'
import { indexRights, type RightsIndex, type RightsSnapshot, RightsSnapshotSchema } from '../../protocol/rights.js'

export class RightsCache {
  private file: string
  index: RightsIndex | null = null

  /** ttlMs: how long after the server made it a snapshot is trusted (then only staff). */
  constructor(
    dataDir: string,
    private ttlMs = 24 * 3_600_000,
  ) {
    mkdirSync(dataDir, { recursive: true })
    this.file = join(dataDir, 'rights.json')
  }

  /** Loads the cached snapshot; a missing or damaged file leaves no rights (then only… nobody). */
  load(): RightsIndex | null {
    try {
      const data = JSON.parse(readFileSync(this.file, 'utf8'))
      if (Value.Check(RightsSnapshotSchema, data)) this.index = this.indexed(data)
    } catch {
      this.index = null
    }
    return this.index
  }

  get version(): number {
    return this.index?.snapshot.version ?? 0
  }

  /** Decides from this snapshot now; resolves once it is on disk (the latest one, when several come quickly). */
  store(snapshot: RightsSnapshot): Promise<void> {
    this.index = this.indexed(snapshot)
    this.unsaved = snapshot
    this.writing ??= this.writeLatest().finally(() => {
      this.writing = null
    })
    return this.writing
  }

  /** Resolves once every stored snapshot is on disk (for a clean stop). */
  persisted(): Promise<void> {
    return this.writing ?? Promise.resolve()
  }

  private unsaved: RightsSnapshot | null = null
  private writing: Promise<void> | null = null

  private async writeLatest() {
    while (this.unsaved) {
      const snapshot = this.unsaved
      this.unsaved = null
      const tmp = `${this.file}.tmp`
      const handle = await open(tmp, 'w')
      try {
        await handle.writeFile(JSON.stringify(snapshot))
        await handle.sync()
      } finally {
        await handle.close()
      }
      await rename(tmp, this.file)
    }
  }

  private indexed(snapshot: RightsSnapshot): RightsIndex {
    const index = indexRights(snapshot)
    index.expiresAt = Date.parse(snapshot.generatedAt) + this.ttlMs
    return index
  }
}
