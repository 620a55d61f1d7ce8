// Planning answers kept in memory. The planning is read far more often than it changes
// (every open planning reloads on every change, and opens by the dozen at a workshop's
// opening), so an answer is kept under its space's planning version: the bookingLock
// counters of the space's machines, which booking writes bump under their lock and database
// triggers bump on every other change a planning shows, whoever writes it (another server
// instance, an agent's check-in, invoicing, a rename). A new version makes the older answers
// unreachable; the memory they hold is bounded by bytes, least recently used first.
import { createHash } from 'node:crypto'
import { promisify } from 'node:util'
import { brotliCompress, constants, gzip } from 'node:zlib'
import { type Db, hotRows } from '../db/client.js'
import { Prisma } from '../db/generated/sqlite/client.js'
import { StampedCache } from '../db/stamped-cache.js'

const gzipAsync = promisify(gzip)
const brotliAsync = promisify(brotliCompress)

/**
 * An answer, as sent: the JSON bytes, the same gzipped and in brotli (a busy week of 50
 * machines: 440 kB of JSON, 31 kB gzipped, 19 kB in brotli).
 */
export interface Answer {
  json: Buffer
  gzip: Buffer
  br: Buffer
}

export type Encoding = keyof Answer

interface Entry {
  version: string
  answer: Answer
}

const sizeOf = (a: Answer) => a.json.length + a.gzip.length + a.br.length

/**
 * Encodes an answer once, for every request that will be sent it (compressed off the event
 * loop, ~3 ms for a busy week). Brotli at quality 5: 40 % fewer bytes than gzip's fastest
 * level for the price of that level (higher qualities cost ×5 to ×250 for 2 to 18 % less),
 * bytes every screen, and the server's own socket writes, no longer carry.
 */
export async function encodeAnswer(body: string): Promise<Answer> {
  const json = Buffer.from(body)
  const [gzipped, br] = await Promise.all([
    gzipAsync(json, { level: constants.Z_BEST_SPEED }),
    brotliAsync(json, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: json.length },
    }),
  ])
  return { json, gzip: gzipped, br }
}

/**
 * The encoding to send to a client with this Accept-Encoding: brotli, else gzip, else the
 * JSON as is; one refused with q=0 is not sent.
 */
export function chooseEncoding(acceptEncoding: string | undefined): Encoding {
  const accepted = new Set<string>()
  for (const part of (acceptEncoding ?? '').toLowerCase().split(',')) {
    const [name = '', ...parameters] = part.split(';').map((p) => p.trim())
    if (!parameters.some((p) => /^q=0(\.0*)?$/.test(p))) accepted.add(name)
  }
  return accepted.has('br') ? 'br' : accepted.has('gzip') || accepted.has('*') ? 'gzip' : 'json'
}

export class PlanningCache {
  private readonly entries = new Map<string, Entry>()
  private readonly computing = new Map<string, Promise<Answer>>()
  private bytes = 0

  constructor(private readonly maxBytes = 32 * 1024 * 1024) {}

  /**
   * The answer for this key at this version: kept, or computed once however many requests
   * ask for it meanwhile (a workshop opening: dozens of plannings load the same week).
   */
  async answer(key: string, version: string, compute: () => Promise<Answer>): Promise<Answer> {
    const kept = this.get(key, version)
    if (kept !== undefined) return kept
    const id = `${version} ${key}`
    let pending = this.computing.get(id)
    if (!pending) {
      pending = compute()
        .then((answer) => {
          this.set(key, version, answer)
          return answer
        })
        .finally(() => this.computing.delete(id))
      this.computing.set(id, pending)
    }
    return pending
  }

  /** The answer kept for this key at this version, if any. */
  get(key: string, version: string): Answer | undefined {
    const entry = this.entries.get(key)
    if (!entry) return undefined
    this.entries.delete(key)
    if (entry.version !== version) {
      this.bytes -= sizeOf(entry.answer)
      return undefined
    }
    this.entries.set(key, entry) // most recently used last
    return entry.answer
  }

  set(key: string, version: string, answer: Answer) {
    const previous = this.entries.get(key)
    if (previous) {
      this.entries.delete(key)
      this.bytes -= sizeOf(previous.answer)
    }
    if (sizeOf(answer) > this.maxBytes) return
    this.entries.set(key, { version, answer })
    this.bytes += sizeOf(answer)
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break
      this.entries.delete(oldest)
      this.bytes -= sizeOf(entry.answer)
    }
  }

  get size() {
    return { entries: this.entries.size, bytes: this.bytes }
  }
}

const versions = new StampedCache<string>()

/**
 * The space's planning version: one short query (a space has tens of machines), no lock;
 * none while the database has not changed since the last one. A counter only grows, so
 * any change gives a new version; a machine added or removed too. The database joins the
 * machines' counters into one string (string_agg: PostgreSQL, and SQLite since 3.44): one
 * row to read instead of one per machine.
 */
export function planningVersion(db: Db, spaceId: string): Promise<string> {
  return versions.get(db, spaceId, () => readPlanningVersion(db, spaceId))
}

async function readPlanningVersion(db: Db, spaceId: string): Promise<string> {
  const [row] = await hotRows<{ counters: string | null }>(
    db,
    Prisma.sql`SELECT string_agg("id" || ':' || "bookingLock", ';' ORDER BY "id") AS "counters"
      FROM "Machine" WHERE "spaceId" = ${spaceId}`,
  )
  return createHash('sha1')
    .update(row?.counters ?? '')
    .digest('base64url')
    .slice(0, 16)
}

/** The validator of an answer: the same version, viewer and query give the same body. */
export function planningEtag(key: string, version: string): string {
  return `"${version}-${createHash('sha1').update(key).digest('base64url').slice(0, 16)}"`
}
