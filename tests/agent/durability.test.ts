// What the agent recorded survives a kill -9 at any instant; the rights cache survives
// restarts; a broken agent.yaml is refused with every problem listed.
import { spawn } from 'node:child_process'
import {
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { configProblems, loadAgentConfig } from '../../agent/core/config.js'
import { AgentStore, CHECKPOINT_COMMITS } from '../../agent/core/outbox.js'
import { RightsCache } from '../../agent/core/rights-cache.js'
import { testSnapshot } from '../helpers/rights.js'

const root = join(import.meta.dirname, '../..')
const dirs: string[] = []
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'fablab-durable-'))
  dirs.push(d)
  return d
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe('outbox', () => {
  it('keeps every event recorded before a kill -9', async () => {
    const dir = tempDir()
    const script = join(dir, 'writer.mts')
    writeFileSync(
      script,
      `import { AgentStore } from ${JSON.stringify(join(root, 'agent/core/outbox.ts'))}
const store = new AgentStore(${JSON.stringify(dir)}, 'kill-pi')
for (let i = 1; ; i++) {
  const e = store.record('access.granted', 'laser-1', { i })
  process.stdout.write(\`recorded \${e.seq}\\n\`)
  if (i % 50 === 0) await new Promise((r) => setImmediate(r))
}
`,
    )
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let lastConfirmed = 0
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        const seqs = [...d.toString().matchAll(/recorded (\d+)/g)].map((m) => Number(m[1]))
        if (seqs.length) lastConfirmed = Math.max(lastConfirmed, ...seqs)
        if (lastConfirmed >= 300 && !child.killed) {
          child.kill('SIGKILL')
          resolve()
        }
      })
    })
    await new Promise((resolve) => child.once('exit', resolve))
    const store = new AgentStore(dir, 'kill-pi')
    const events = store.pending(100_000)
    store.close()
    // Every event the writer reported as recorded is there, in order, without gaps.
    expect(events.length).toBeGreaterThanOrEqual(lastConfirmed)
    expect(events.slice(0, lastConfirmed).map((e) => e.seq)).toEqual(
      Array.from({ length: lastConfirmed }, (_, i) => i + 1),
    )
  })

  it('moves the WAL into the database only when asked (between taps), never on a tap’s commit', async () => {
    const dir = tempDir()
    const store = new AgentStore(dir, 'wal-pi')
    const wal = () => statSync(join(dir, 'agent.db-wal')).size
    // 1 200 commits of a page or more each: SQLite's own checkpoint (every 1 000 pages)
    // would have started the WAL over from its beginning, and the file would not grow.
    for (let i = 0; i < 1200; i++) store.record('access.denied', 'laser-1', { i })
    expect(wal()).toBeGreaterThan(1200 * 4096)
    expect(store.checkpointIfDue()).toBe(true)
    await store.checkpointed()
    expect(store.checkpointIfDue()).toBe(false) // nothing new since
    const size = wal()
    for (let i = 0; i < CHECKPOINT_COMMITS; i++) store.record('access.denied', 'laser-1', { i })
    expect(wal()).toBe(size) // written again from its beginning, after the checkpoint
    store.close()
    const reopened = new AgentStore(dir, 'wal-pi')
    expect(reopened.count()).toBe(1200 + CHECKPOINT_COMMITS)
    reopened.close()
  })

  it('moves the WAL into the database on a thread of its own: taps commit meanwhile, the event loop never waits', async () => {
    const dir = tempDir()
    const gate = new Int32Array(new SharedArrayBuffer(4))
    const store = new AgentStore(dir, 'thread-pi', { checkpointGate: gate })
    const database = () => statSync(join(dir, 'agent.db')).size
    for (let i = 0; i < CHECKPOINT_COMMITS; i++) store.record('access.denied', 'laser-1', { i })
    const before = database()
    // The checkpoint is held on its thread: on the event loop it would have been done on return.
    expect(store.checkpointIfDue()).toBe(true)
    expect(database()).toBe(before)
    // Taps commit while it waits, enough for another checkpoint: one at a time.
    const tap = store.record('access.granted', 'laser-1', { during: true })
    for (let i = 1; i < CHECKPOINT_COMMITS; i++) store.record('access.denied', 'laser-1', { i })
    expect(store.checkpointIfDue()).toBe(false)
    Atomics.store(gate, 0, 1)
    Atomics.notify(gate, 0)
    await store.checkpointed()
    expect(database()).toBeGreaterThan(before) // the WAL's pages are in the database now
    expect(store.checkpointIfDue()).toBe(true) // the taps made meanwhile: due now
    await store.checkpointed()
    expect(store.pending(1, tap.seq - 1)[0]?.body).toEqual({ during: true })
    store.close()
  })

  it('starts the WAL over on the checkpointer’s thread: no tap’s commit flushes its new header', async () => {
    const dir = tempDir()
    const store = new AgentStore(dir, 'restart-pi')
    // The WAL's header: its checkpoint sequence (bytes 12–15) and salts (16–23) change each
    // time it starts over, a write SQLite flushes to disk before that commit's frames.
    const walHeader = () => {
      const fd = openSync(join(dir, 'agent.db-wal'), 'r')
      try {
        const header = Buffer.alloc(32)
        readSync(fd, header, 0, 32, 0)
        return header
      } finally {
        closeSync(fd)
      }
    }
    for (let i = 0; i < CHECKPOINT_COMMITS; i++) store.record('access.denied', 'laser-1', { i })
    const before = walHeader()
    expect(store.checkpointIfDue()).toBe(true)
    await store.checkpointed()
    const restarted = walHeader()
    expect(restarted.readUInt32BE(12)).toBe(before.readUInt32BE(12) + 1) // by the thread
    store.record('access.granted', 'laser-1', { tap: true })
    expect(walHeader()).toEqual(restarted) // the tap's commit followed on, nothing to flush
    store.close()
    const reopened = new AgentStore(dir, 'restart-pi')
    expect(reopened.count()).toBe(CHECKPOINT_COMMITS + 1)
    reopened.close()
  })

  it('never reuses a sequence after acknowledged events are dropped', async () => {
    const dir = tempDir()
    const store = new AgentStore(dir, 'seq-pi')
    store.record('machine.state', 'laser-1', {})
    const second = store.record('machine.state', 'laser-1', {})
    await store.synced()
    store.ack(second.seq)
    expect(store.count()).toBe(0)
    // The trim asks for no flush: lost to a power cut, it only sends those events again.
    expect(store.allOnDisk).toBe(true)
    store.close()
    const reopened = new AgentStore(dir, 'seq-pi')
    expect(reopened.record('machine.state', 'laser-1', {}).seq).toBe(3)
    reopened.close()
  })

  it('rebuilds an older outbox without the index on event ids, keeping its events and sequence', async () => {
    const dir = tempDir()
    const old = new Database(join(dir, 'agent.db'))
    old.pragma('journal_mode = WAL')
    old.exec(`
      CREATE TABLE outbox (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, at TEXT NOT NULL, machine TEXT, body TEXT NOT NULL);
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE sessions (machine TEXT PRIMARY KEY, data TEXT NOT NULL);
      INSERT INTO meta (key, value) VALUES ('acked', '7');
    `)
    const insert = old.prepare('INSERT INTO outbox VALUES (?, ?, ?, ?, ?, ?)')
    for (const seq of [8, 9, 10])
      insert.run(seq, `old-pi:e${seq}`, 'access.denied', '2026-11-30T08:00:00.000Z', 'laser-1', `{"seq":${seq}}`)
    old.close()
    const outboxIndexes = () => {
      const db = new Database(join(dir, 'agent.db'), { readonly: true })
      try {
        return db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox'").all()
      } finally {
        db.close()
      }
    }
    expect(outboxIndexes()).toHaveLength(1)

    const store = new AgentStore(dir, 'old-pi')
    expect(outboxIndexes()).toEqual([])
    expect(store.pending().map((e) => [e.seq, e.id, e.body])).toEqual([
      [8, 'old-pi:e8', { seq: 8 }],
      [9, 'old-pi:e9', { seq: 9 }],
      [10, 'old-pi:e10', { seq: 10 }],
    ])
    expect(store.record('machine.state', 'laser-1', {}).seq).toBe(11)
    store.close()
    const reopened = new AgentStore(dir, 'old-pi') // already rebuilt: left as it is
    expect(reopened.count()).toBe(4)
    reopened.close()
  })
})

describe('outbox flushes to disk', () => {
  /** A store whose flushes wait until the test lets them end. */
  function slowDisk(onSyncError?: (error: Error) => void) {
    const flushes: ((error?: Error) => void)[] = []
    const dir = tempDir()
    const store = new AgentStore(dir, 'disk-pi', {
      syncFile: (_fd, done) => flushes.push((error) => done(error ?? null)),
      onSyncError,
    })
    return { dir, store, flushes }
  }
  /** The store asks for a flush in the turn after the commit's. */
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

  it('flushes one commit at a time: what is committed meanwhile shares the next flush', async () => {
    const { store, flushes } = slowDisk()
    const first = store.record('access.denied', 'laser-1', { i: 1 })
    const firstOnDisk = store.synced()
    expect(flushes).toHaveLength(0) // asked for after this turn
    await nextTurn()
    for (let i = 2; i <= 4; i++) store.record('access.denied', 'laser-1', { i })
    await nextTurn()
    expect(flushes).toHaveLength(1)
    flushes.shift()!()
    await firstOnDisk
    // Only what the first flush covered may be sent; the other three are in the next.
    expect(store.sendable(10).map((e) => e.seq)).toEqual([first.seq])
    expect(store.allOnDisk).toBe(false)
    expect(flushes).toHaveLength(1)
    const allOnDisk = store.synced()
    flushes.shift()!()
    await allOnDisk
    expect(store.sendable(10)).toHaveLength(4)
    expect(store.syncs).toBe(2)
    store.close()
  })

  it('a failed flush is reported, and its events still go to the server, then their safest copy', async () => {
    const errors: Error[] = []
    const { store, flushes } = slowDisk((error) => errors.push(error))
    store.record('access.denied', 'laser-1', {})
    const settled = store.synced()
    await nextTurn()
    flushes.shift()!(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }))
    await settled
    expect(errors.map((e) => e.message)).toEqual(['EIO: i/o error, fdatasync'])
    expect(store.sendable(10)).toHaveLength(1)
    store.close()
  })

  it('closes with a flush under way, keeping everything', async () => {
    const { dir, store, flushes } = slowDisk()
    for (let i = 0; i < 3; i++) store.record('access.denied', 'laser-1', { i })
    await nextTurn()
    store.record('access.denied', 'laser-1', { i: 3 }) // not in the flush under way
    store.close() // flushes what is left itself before closing
    await store.synced() // resolves at once once closed
    flushes.shift()!() // the flush under way ends after the close, harmlessly
    const reopened = new AgentStore(dir, 'disk-pi')
    expect(reopened.sendable(10)).toHaveLength(4) // on disk: sendable from the start
    reopened.close()
  })
})

/** A valid snapshot with no members, machines or bookings. */
const emptySnapshot = (version: number) => testSnapshot({ version })

describe('outbox commit times', () => {
  it('times each commit once (a transaction as one) and counts those a tap would have waited for', () => {
    // Start and end of each commit: record 0.2 ms, atomically 3.5 ms (two writes inside,
    // timed as one), saveSession 0.4 ms, ack 1 ms, clearSession 0.1 ms.
    const readings = [0, 0.2, 10, 13.5, 20, 20.4, 30, 31, 40, 40.1]
    const store = new AgentStore(tempDir(), 'timed-pi', { clock: () => readings.shift()! })
    store.record('access.granted', 'laser-1', {})
    store.atomically(() => {
      store.record('session.started', 'laser-1', {})
      store.saveSession({
        machine: 'laser-1',
        sessionId: 's1',
        memberId: null,
        memberName: null,
        badgeUid: null,
        bookingId: null,
        startedAt: 0,
        until: null,
        busyMs: 0,
        aliveAt: 0,
      })
    })
    store.saveSession({ ...store.session('laser-1')!, aliveAt: 1 })
    store.ack(1)
    store.clearSession('laser-1')
    expect(readings).toEqual([])
    expect(store.commitTimes).toEqual({ count: 5, slow: 2, slowestMs: 3.5 })
    store.close()
  })
})

describe('rights cache', () => {
  it('survives a restart, and a damaged file means no rights rather than a crash', async () => {
    const dir = tempDir()
    const cache = new RightsCache(dir, 3_600_000)
    const snapshot = emptySnapshot(7)
    await cache.store(snapshot)
    const again = new RightsCache(dir, 3_600_000)
    expect(again.load()?.snapshot.version).toBe(7)
    // The agent's own TTL decides how long it trusts the snapshot.
    expect(again.index!.expiresAt).toBe(Date.parse(snapshot.generatedAt) + 3_600_000)
    writeFileSync(join(dir, 'rights.json'), '{"version": 8, "trunc')
    expect(new RightsCache(dir).load()).toBeNull()
  })

  it('decides from a new snapshot at once and keeps the latest on disk when several come quickly', async () => {
    const dir = tempDir()
    const cache = new RightsCache(dir, 3_600_000)
    const saves = [1, 2, 3].map((version) => {
      const saved = cache.store(emptySnapshot(version))
      expect(cache.version).toBe(version) // in force before it is on disk
      return saved
    })
    await Promise.all(saves)
    await cache.persisted()
    expect(new RightsCache(dir, 3_600_000).load()?.snapshot.version).toBe(3)
    expect(readdirSync(dir)).toEqual(['rights.json']) // no temporary file left behind
  })
})

describe('agent.yaml', () => {
  it('lists every bad field at once', () => {
    const problems = configProblems({
      id: 'Bad Id',
      server: 'ftp://x',
      mqtt: 'mqtt://127.0.0.1:1883',
      dataDir: './data',
      colour: 'blue',
      machines: [
        { machine: 'laser-1', reader: { type: 'rdm6300' }, relay: { type: 'lcus', port: '/dev/ttyUSB1', channel: 9 } },
        { machine: 'laser-1', reader: { type: 'nfc-magic', port: 'x' }, relay: { type: 'fake' } },
      ],
    })
    const text = problems.join('\n')
    for (const expected of [
      'id:',
      'server:',
      'unknown field "colour"',
      'token: give token or tokenFile',
      'machines.0.relay',
      'machines.1.reader',
      'machines.1.machine: "laser-1" appears twice',
    ]) {
      expect(text).toContain(expected)
    }
  })

  it('reads a valid file, with the token from tokenFile, and paths relative to the file', () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'agent.token'), 'secret-token-123\n')
    writeFileSync(
      join(dir, 'agent.yaml'),
      'id: demo-pi\nserver: http://127.0.0.1:3000\nmqtt: mqtt://127.0.0.1:1883\ntokenFile: agent.token\ndataDir: ./state\nmachines:\n  - machine: printer-1\n    reader: { type: line, port: /dev/ttyACM0 }\n    relay: { type: tasmota, topic: printer-plug }\n    power: { idleBelowWatts: 15 }\n',
    )
    const config = loadAgentConfig(join(dir, 'agent.yaml'))
    expect(config.token).toBe('secret-token-123')
    expect(config.dataDir).toBe(join(dir, 'state'))
    expect(config.machines[0]!.power?.idleBelowWatts).toBe(15)
  })

  it('accepts the shipped example configuration', () => {
    const example = parseYaml(readFileSync(join(root, 'firmware-config/agent.example.yaml'), 'utf8'))
    expect(configProblems(example)).toEqual([])
  })

  it('refuses a file that is not YAML with a clear error', () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'agent.yaml'), 'id: [unclosed\n  - : :')
    expect(() => loadAgentConfig(join(dir, 'agent.yaml'))).toThrow(/cannot read YAML/)
  })

  it('the CLI exits non-zero before touching any device', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'agent.yaml'), 'id: demo-pi\nmachines: []\n')
    const child = spawn(process.execPath, ['--import', 'tsx', 'agent/main.ts', '--config', join(dir, 'agent.yaml')], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    const code = await new Promise((resolve) => child.once('exit', resolve))
    expect(code).toBe(2)
    expect(stderr).toContain('invalid agent configuration')
    expect(stderr).toContain('server:')
    expect(stderr).toContain('machines:')
  })
})
