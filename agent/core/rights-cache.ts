// The last rights snapshot, kept in dataDir so the agent decides from it at start when
// the server cannot be reached. Written atomically: a crash leaves the old or the new file.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
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

  store(snapshot: RightsSnapshot) {
    const tmp = `${this.file}.tmp`
    const fd = openSync(tmp, 'w')
    try {
      writeSync(fd, JSON.stringify(snapshot))
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, this.file)
    this.index = this.indexed(snapshot)
  }

  private indexed(snapshot: RightsSnapshot): RightsIndex {
    const index = indexRights(snapshot)
    index.expiresAt = Date.parse(snapshot.generatedAt) + this.ttlMs
    return index
  }
}
