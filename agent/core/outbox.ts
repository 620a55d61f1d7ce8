// The agent's durable memory, one SQLite file in dataDir (WAL, synchronous=FULL):
//   - the outbox: every event gets its id and sequence and is on disk before the caller
//     goes on (the relay switches only after its event is recorded); rows leave only when
//     the server acknowledges them;
//   - the running sessions, so a restart knows whether a relay may stay on.
// Killing the process at any instant loses nothing that was recorded.
import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { EventEnvelope } from '../../protocol/mqtt.js'

export interface StoredSession {
  machine: string
  sessionId: string
  memberId: string | null
  memberName: string | null
  badgeUid: string | null
  bookingId: string | null
  startedAt: number
  /** ms; null = no planned end */
  until: number | null
  busyMs: number
  /** Last time the agent knew the session was running (ms). */
  aliveAt: number
}

/** Commits the WAL may hold before the agent's timer moves it into the database. */
export const CHECKPOINT_COMMITS = 200

export class AgentStore {
  private db: Database.Database
  /** Prepared once: record() and saveSession() are on the tap's way to the relay. */
  private sql: Record<
    'insert' | 'pending' | 'trim' | 'acked' | 'meta' | 'count' | 'saveSession' | 'clearSession' | 'session',
    Database.Statement
  >
  private nextSeq: number

  constructor(
    dataDir: string,
    private agentId: string,
  ) {
    mkdirSync(dataDir, { recursive: true })
    this.db = new Database(join(dataDir, 'agent.db'))
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('synchronous = FULL')
    // SQLite would move the WAL into the database (and fsync it) on whichever commit crosses
    // 1 000 pages: now and then a tap's. The agent does it between taps (checkpointIfDue).
    this.db.pragma('wal_autocheckpoint = 0')
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, at TEXT NOT NULL, machine TEXT, body TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS sessions (machine TEXT PRIMARY KEY, data TEXT NOT NULL);
    `)
    const prepare = (text: string) => this.db.prepare(text)
    this.sql = {
      insert: prepare('INSERT INTO outbox (seq, id, type, at, machine, body) VALUES (?, ?, ?, ?, ?, ?)'),
      pending: prepare('SELECT seq, id, type, at, machine, body FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?'),
      trim: prepare('DELETE FROM outbox WHERE seq <= ?'),
      acked: prepare(
        "INSERT INTO meta (key, value) VALUES ('acked', ?) ON CONFLICT(key) DO UPDATE SET value = MAX(CAST(value AS INTEGER), excluded.value)",
      ),
      meta: prepare('SELECT value FROM meta WHERE key = ?'),
      count: prepare('SELECT COUNT(*) AS n FROM outbox'),
      saveSession: prepare(
        'INSERT INTO sessions (machine, data) VALUES (?, ?) ON CONFLICT(machine) DO UPDATE SET data = excluded.data',
      ),
      clearSession: prepare('DELETE FROM sessions WHERE machine = ?'),
      session: prepare('SELECT data FROM sessions WHERE machine = ?'),
    }
    // Sequences never go back, even when every row was acknowledged and deleted.
    const maxRow = this.db.prepare('SELECT MAX(seq) AS seq FROM outbox').get() as { seq: number | null }
    this.nextSeq = Math.max(maxRow.seq ?? 0, Number(this.meta('acked') ?? 0)) + 1
  }

  private meta(key: string): string | undefined {
    return (this.sql.meta.get(key) as { value: string } | undefined)?.value
  }

  /** Records an event durably and returns it; synchronous on purpose. */
  record(type: string, machine: string | undefined, body: Record<string, unknown>, at = new Date()): EventEnvelope {
    const event: EventEnvelope = {
      id: `${this.agentId}:${randomUUID()}`,
      seq: this.nextSeq,
      type,
      at: at.toISOString(),
      machine,
      body,
    }
    this.sql.insert.run(event.seq, event.id, event.type, event.at, machine ?? null, JSON.stringify(body))
    this.nextSeq++
    this.countWrite()
    return event
  }

  /**
   * Commits synced to disk so far. Each one blocks the agent's event loop (taps included)
   * for an fsync: a tap's path takes one.
   */
  syncedWrites = 0
  /** Commits since the WAL was last moved into the database. */
  private commitsSinceCheckpoint = 0
  private countWrite() {
    if (this.db.inTransaction) return
    this.syncedWrites++
    this.commitsSinceCheckpoint++
  }

  /**
   * Moves the WAL into the database once it holds CHECKPOINT_COMMITS commits (a few hundred
   * pages): called from the agent's timer, off any tap's way. Returns whether it did.
   */
  checkpointIfDue(): boolean {
    if (this.commitsSinceCheckpoint < CHECKPOINT_COMMITS) return false
    this.db.pragma('wal_checkpoint(PASSIVE)')
    this.commitsSinceCheckpoint = 0
    return true
  }

  /** Runs fn in one transaction: what it records is committed (and synced) once, all or nothing. */
  atomically<T>(fn: () => T): T {
    const before = this.nextSeq
    try {
      const result = this.db.transaction(fn)()
      this.countWrite()
      return result
    } catch (error) {
      this.nextSeq = before // the rolled-back events never existed
      throw error
    }
  }

  pending(limit = 500, afterSeq = 0): EventEnvelope[] {
    const rows = this.sql.pending.all(afterSeq, limit) as {
      seq: number
      id: string
      type: string
      at: string
      machine: string | null
      body: string
    }[]
    return rows.map((r) => ({
      id: r.id,
      seq: r.seq,
      type: r.type,
      at: r.at,
      ...(r.machine ? { machine: r.machine } : {}),
      body: JSON.parse(r.body),
    }))
  }

  /**
   * The server stored everything up to seq: those rows may go. Without an fsync: a trim lost
   * to a power cut only sends those events again, and the server stores each event once. (An
   * fsync here blocked the event loop while the next tap waited: the whole online overhead
   * of tap → relay.) WAL with synchronous=NORMAL stays consistent; FULL is back for events.
   */
  ack(seq: number) {
    this.db.pragma('synchronous = NORMAL')
    try {
      this.db.transaction(() => {
        this.sql.trim.run(seq)
        this.sql.acked.run(String(seq))
      })()
      this.commitsSinceCheckpoint++
    } finally {
      this.db.pragma('synchronous = FULL')
    }
  }

  /** The durability of the next commit: 2 (FULL) for events and sessions. */
  synchronous(): number {
    return this.db.pragma('synchronous', { simple: true }) as number
  }

  count(): number {
    return (this.sql.count.get() as { n: number }).n
  }

  saveSession(session: StoredSession) {
    this.sql.saveSession.run(session.machine, JSON.stringify(session))
    this.countWrite()
  }

  clearSession(machine: string) {
    this.sql.clearSession.run(machine)
    this.countWrite()
  }

  session(machine: string): StoredSession | null {
    const row = this.sql.session.get(machine) as { data: string } | undefined
    return row ? (JSON.parse(row.data) as StoredSession) : null
  }

  close() {
    this.db.close()
  }
}
