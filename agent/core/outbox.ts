// The agent's durable memory, one SQLite file in dataDir (WAL):
//   - the outbox: every event gets its id and sequence and is committed before the caller
//     goes on (the relay switches only after its event is recorded); rows leave only when
//     the server acknowledges them;
//   - the running sessions, so a restart knows whether a relay may stay on.
// A commit is in the operating system as it returns: killing the process at any instant
// loses nothing that was recorded. It reaches the disk a moment later, by an fdatasync of
// the WAL on libuv's thread pool, not on the event loop: a tap's way to the relay never
// waits for the disk (on a Pi's SD card an fsync takes milliseconds, tens in its tail).
// Events go to the server only once on disk (sendable), so the server never holds an event
// that a power cut could take from the agent (its sequence would be given again). A power
// cut in that moment loses the tap and the session it opened; the restart then finds no
// session and switches the relay off, as if the badge had come a moment later.
import { randomUUID } from 'node:crypto'
import { closeSync, constants, fdatasync, fdatasyncSync, fsyncSync, mkdirSync, openSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { EventEnvelope } from '../../protocol/mqtt.js'
import { Checkpointer } from './checkpointer.js'

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

/** A commit this long or longer is counted as slow (commitTimes): a tap waited for it. */
export const SLOW_COMMIT_MS = 1

/** Commits the WAL may hold before the agent's timer moves it into the database. */
export const CHECKPOINT_COMMITS = 200

export interface AgentStoreOptions {
  /** Flushes a file's data to disk and calls back (default: fs.fdatasync, on the thread pool). */
  syncFile?: (fd: number, done: (error: Error | null) => void) => void
  /** A flush to disk failed: what it covered is still sent to the server, its safest copy then. */
  onSyncError?: (error: Error) => void
  /** A checkpoint failed (the WAL stays as it is, the next one tries again). */
  onCheckpointError?: (message: string) => void
  /** Tests only: each checkpoint waits until checkpointGate[0] is no longer 0. */
  checkpointGate?: Int32Array
  /** Tests only: the clock commits are timed with (ms; default performance.now). */
  clock?: () => number
}

/**
 * How long the agent's commits took. A tap's relay waits for its commit, which returns as
 * soon as the write is in the operating system; the kernel still holds it now and then (a
 * block to read back before a partial write while a flush is under way, SQLite's flush of
 * a restarted WAL's header), most on a busy or worn disk. The bench prints them with the
 * tap figures; they are the slow taps the agent itself adds.
 */
export interface CommitTimes {
  count: number
  /** Commits that took SLOW_COMMIT_MS or more. */
  slow: number
  slowestMs: number
}

/**
 * The outbox's columns. No index on the event id: it is a random UUID, unique by
 * construction (and the server stores an id once), and its index put one more page, at a
 * random place, into every commit: 3.8 pages a tap to the WAL with thousands of events
 * queued offline, against 2.3 with a few.
 */
const OUTBOX_COLUMNS =
  '(seq INTEGER PRIMARY KEY, id TEXT NOT NULL, type TEXT NOT NULL, at TEXT NOT NULL, machine TEXT, body TEXT NOT NULL)'

/**
 * An outbox created before December 2026 has a UNIQUE id column, whose index SQLite keeps
 * with the table: the table is copied into one without it, in one transaction (a crash
 * midway leaves the old one as it was, and the next start does it again).
 */
function dropOutboxIdIndex(db: Database.Database) {
  const table = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'outbox'").get() as {
    sql: string
  }
  if (!/\bUNIQUE\b/i.test(table.sql)) return
  db.transaction(() => {
    db.exec(`
      CREATE TABLE outbox_without_id_index ${OUTBOX_COLUMNS};
      INSERT INTO outbox_without_id_index (seq, id, type, at, machine, body)
        SELECT seq, id, type, at, machine, body FROM outbox;
      DROP TABLE outbox;
      ALTER TABLE outbox_without_id_index RENAME TO outbox;
    `)
  })()
}

export class AgentStore {
  private db: Database.Database
  /** Prepared once: record() and saveSession() are on the tap's way to the relay. */
  private sql: Record<
    'insert' | 'pending' | 'trim' | 'acked' | 'meta' | 'count' | 'saveSession' | 'clearSession' | 'session',
    Database.Statement
  >
  private nextSeq: number
  /** The WAL, opened once to flush it to disk (any descriptor of a file flushes the file). */
  private walFd: number
  private syncFile: NonNullable<AgentStoreOptions['syncFile']>
  private onSyncError: NonNullable<AgentStoreOptions['onSyncError']>
  private checkpointer: Checkpointer
  /** Commits of events or sessions so far, and how many of them are on disk. */
  commits = 0
  private syncedCommits = 0
  /** The highest sequence on disk: what may be sent. */
  private syncedSeq: number
  /** Flushes done: each one off the event loop. */
  syncs = 0
  readonly commitTimes: CommitTimes = { count: 0, slow: 0, slowestMs: 0 }
  private clock: () => number
  private syncing = false
  private closed = false
  private syncWaiters: { commits: number; resolve: () => void }[] = []

  constructor(
    dataDir: string,
    private agentId: string,
    options: AgentStoreOptions = {},
  ) {
    mkdirSync(dataDir, { recursive: true })
    const file = join(dataDir, 'agent.db')
    this.db = new Database(file)
    this.db.pragma('journal_mode = WAL')
    // Commits are not flushed by SQLite (WAL stays consistent); the store flushes them itself,
    // off the event loop (requestSync). A checkpoint still flushes the WAL before it copies it.
    this.db.pragma('synchronous = NORMAL')
    // SQLite would move the WAL into the database (and fsync it) on whichever commit crosses
    // 1 000 pages: now and then a tap's. The agent has it done on a thread (checkpointIfDue).
    this.db.pragma('wal_autocheckpoint = 0')
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS outbox ${OUTBOX_COLUMNS};
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS sessions (machine TEXT PRIMARY KEY, data TEXT NOT NULL);
    `)
    dropOutboxIdIndex(this.db)
    const prepare = (text: string) => this.db.prepare(text)
    this.sql = {
      insert: prepare('INSERT INTO outbox (seq, id, type, at, machine, body) VALUES (?, ?, ?, ?, ?, ?)'),
      pending: prepare(
        'SELECT seq, id, type, at, machine, body FROM outbox WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?',
      ),
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
    this.syncFile = options.syncFile ?? ((fd, done) => fdatasync(fd, done))
    this.onSyncError = options.onSyncError ?? (() => {})
    this.clock = options.clock ?? (() => performance.now())
    this.checkpointer = new Checkpointer(file, {
      gate: options.checkpointGate,
      onError: options.onCheckpointError,
      restartWrite:
        "INSERT INTO meta (key, value) VALUES ('wal_restarted_at', datetime('now')) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    })
    // What an earlier run committed is on disk before anything is sent; so is the WAL's name.
    this.walFd = openSync(`${file}-wal`, constants.O_RDONLY | constants.O_CREAT)
    fdatasyncSync(this.walFd)
    const dir = openSync(dataDir, constants.O_RDONLY)
    try {
      fsyncSync(dir)
    } finally {
      closeSync(dir)
    }
    this.syncedSeq = this.nextSeq - 1
  }

  private meta(key: string): string | undefined {
    return (this.sql.meta.get(key) as { value: string } | undefined)?.value
  }

  /** Records an event (committed when it returns, on disk soon after) and returns it; synchronous on purpose. */
  record(type: string, machine: string | undefined, body: Record<string, unknown>, at = new Date()): EventEnvelope {
    const event: EventEnvelope = {
      id: `${this.agentId}:${randomUUID()}`,
      seq: this.nextSeq,
      type,
      at: at.toISOString(),
      machine,
      body,
    }
    this.commit(() => {
      this.sql.insert.run(event.seq, event.id, event.type, event.at, machine ?? null, JSON.stringify(body))
      this.nextSeq++ // before the flush is asked for: it covers the sequences given so far
    })
    return event
  }

  /**
   * Runs a write that commits, timed, and counts it for the next checkpoint; a commit of
   * events or sessions is flushed to disk in the background, an acknowledgement's is not
   * (see ack). Inside atomically, whose own commit does all that, it only runs the write.
   */
  private commit<T>(write: () => T, flush = true): T {
    if (this.db.inTransaction) return write()
    const start = this.clock()
    let result: T
    try {
      result = write()
    } finally {
      const ms = this.clock() - start
      const times = this.commitTimes
      times.count++
      if (ms >= SLOW_COMMIT_MS) times.slow++
      if (ms > times.slowestMs) times.slowestMs = ms
    }
    this.commitsSinceCheckpoint++
    if (flush) {
      this.commits++
      this.syncSoon()
    }
    return result
  }

  private syncScheduled = false
  /**
   * Asks for the flush in the turn after the commit's: the relay command that waited for
   * the commit leaves first, before a thread of the pool wakes up for the disk (on a busy
   * core, that thread ran first).
   */
  private syncSoon() {
    if (this.syncScheduled) return
    this.syncScheduled = true
    setImmediate(() => {
      this.syncScheduled = false
      this.requestSync()
    })
  }

  /** Commits since the WAL was last moved into the database. */
  private commitsSinceCheckpoint = 0
  /**
   * Flushes the WAL on the thread pool; commits made meanwhile share the next flush (one
   * at a time: a burst of taps costs a flush or two, not one each).
   */
  private requestSync() {
    if (this.syncing || this.closed || this.allOnDisk) return
    this.syncing = true
    const covered = { commits: this.commits, seq: this.nextSeq - 1 }
    this.syncFile(this.walFd, (error) => {
      this.syncing = false
      if (this.closed) return closeSync(this.walFd)
      this.syncs++
      if (error) this.onSyncError(error)
      this.syncedCommits = covered.commits
      this.syncedSeq = covered.seq
      const waiting = this.syncWaiters
      this.syncWaiters = waiting.filter((w) => w.commits > covered.commits)
      for (const w of waiting) if (w.commits <= covered.commits) w.resolve()
      this.requestSync()
    })
  }

  get allOnDisk(): boolean {
    return this.syncedCommits === this.commits
  }

  /** Resolves once every commit made so far is on disk. */
  synced(): Promise<void> {
    if (this.closed || this.allOnDisk) return Promise.resolve()
    return new Promise((resolve) => this.syncWaiters.push({ commits: this.commits, resolve }))
  }

  /**
   * Starts moving the WAL into the database once it holds CHECKPOINT_COMMITS commits (a
   * few hundred pages), on the checkpointer's thread: called from the agent's timer, it
   * returns at once, whether it started one.
   */
  checkpointIfDue(): boolean {
    if (this.closed || this.commitsSinceCheckpoint < CHECKPOINT_COMMITS || !this.checkpointer.run()) return false
    this.commitsSinceCheckpoint = 0
    return true
  }

  /** Resolves when no checkpoint is under way. */
  checkpointed(): Promise<void> {
    return this.checkpointer.idle()
  }

  /**
   * Runs fn in one transaction: what it records is committed (and synced) once, all or
   * nothing. IMMEDIATE, as the trim's: the checkpointer's thread writes too (restartWrite),
   * and a transaction holding the write lock from its start waits for it (busy timeout)
   * where one that read first would fail.
   */
  atomically<T>(fn: () => T): T {
    const before = this.nextSeq
    try {
      return this.commit(this.db.transaction(fn).immediate)
    } catch (error) {
      this.nextSeq = before // the rolled-back events never existed
      throw error
    }
  }

  /** What the outbox holds after afterSeq, in order, up to throughSeq (default: all). */
  pending(limit = 500, afterSeq = 0, throughSeq = Number.MAX_SAFE_INTEGER): EventEnvelope[] {
    const rows = this.sql.pending.all(afterSeq, throughSeq, limit) as {
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

  /** What may go to the server: the events on disk after afterSeq. */
  sendable(limit = 500, afterSeq = 0): EventEnvelope[] {
    return this.pending(limit, afterSeq, this.syncedSeq)
  }

  /**
   * The server stored everything up to seq: those rows may go. No flush of its own: a trim
   * lost to a power cut only sends those events again, and the server stores each event once.
   */
  ack(seq: number) {
    this.commit(
      this.db.transaction(() => {
        this.sql.trim.run(seq)
        this.sql.acked.run(String(seq))
      }).immediate,
      false,
    )
  }

  count(): number {
    return (this.sql.count.get() as { n: number }).n
  }

  saveSession(session: StoredSession) {
    this.commit(() => this.sql.saveSession.run(session.machine, JSON.stringify(session)))
  }

  clearSession(machine: string) {
    this.commit(() => this.sql.clearSession.run(machine))
  }

  session(machine: string): StoredSession | null {
    const row = this.sql.session.get(machine) as { data: string } | undefined
    return row ? (JSON.parse(row.data) as StoredSession) : null
  }

  /** Flushes what is not on disk yet and closes the database. */
  close() {
    if (this.closed) return
    this.closed = true
    if (this.syncedCommits < this.commits) fdatasyncSync(this.walFd)
    this.checkpointer.close()
    this.db.close()
    for (const waiter of this.syncWaiters.splice(0)) waiter.resolve()
    // A flush under way closes the WAL's descriptor when it ends (its number is still in use).
    if (!this.syncing) closeSync(this.walFd)
  }
}
