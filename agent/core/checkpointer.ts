// Moves the outbox's WAL into its database on a thread of its own, through a connection of
// its own. A checkpoint flushes the WAL, copies it and flushes the database: two fsyncs,
// 1–3 ms here and tens of milliseconds in an SD card's tail. On the agent's event loop a
// tap arriving meanwhile would wait for them; a PASSIVE checkpoint from another connection
// never blocks the agent's commits (it copies what no reader still needs, SQLite's own
// rule), so the event loop only posts a message.
// Once every frame is copied, the next write starts the WAL over from its beginning, and
// SQLite flushes the WAL's new header to disk before that write's frames (an fsync on the
// writer's thread: 0.2 ms here for a WAL just flushed, twenty commits' worth, 2 ms for a
// cold one, an SD card's flush on a Pi): without more, the first tap after each checkpoint
// paid it, one tap in a hundred offline. So the thread makes that write itself
// (restartWrite), and the flush is its own.
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

const require = createRequire(import.meta.url)

/** The thread's code: plain CommonJS, so it runs the same under tsx and from built files. */
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.file, { timeout: 1000 })
db.pragma('synchronous = NORMAL') // the checkpoint flushes the WAL and the database
const restart = workerData.restartWrite ? db.prepare(workerData.restartWrite) : null
parentPort.on('message', () => {
  try {
    if (workerData.gate) Atomics.wait(workerData.gate, 0, 0)
    const [{ busy, log, checkpointed }] = db.pragma('wal_checkpoint(PASSIVE)')
    // Every frame copied and no reader in the way: this write starts the WAL over.
    if (restart && busy === 0 && log > 0 && checkpointed === log) restart.run()
    parentPort.postMessage(null)
  } catch (error) {
    parentPort.postMessage(error.message)
  }
})
`

export interface CheckpointerOptions {
  /** Tests only: each checkpoint waits until gate[0] is no longer 0 (Atomics.notify). */
  gate?: Int32Array
  /** A checkpoint failed: the WAL stays as it is, the next one tries again. */
  onError?: (message: string) => void
  /**
   * A statement writing one row, run on the thread after a checkpoint that copied the
   * whole WAL: it starts the WAL over there, with the flush of its header that comes with it.
   */
  restartWrite?: string
}

export class Checkpointer {
  private worker: Worker | null = null
  private running: Promise<void> | null = null

  constructor(
    private file: string,
    private options: CheckpointerOptions = {},
  ) {}

  /** Starts a checkpoint unless one is under way (one at a time); returns whether it did. */
  run(): boolean {
    if (this.running) return false
    this.worker ??= this.start() // with the first checkpoint, not at the agent's start
    const worker = this.worker
    this.running = new Promise<void>((resolve) => {
      const ended = (message: string | null) => {
        worker.off('exit', gone)
        if (message) this.options.onError?.(message)
        resolve()
      }
      const gone = () => {
        worker.off('message', ended)
        this.worker = null
        resolve()
      }
      worker.once('message', ended)
      worker.once('exit', gone)
      worker.postMessage(null)
    }).finally(() => {
      this.running = null
    })
    return true
  }

  /** Resolves when no checkpoint is under way. */
  async idle(): Promise<void> {
    while (this.running) await this.running
  }

  /** Stops the thread; a checkpoint under way ends first (SQLite's call is not interrupted). */
  close() {
    void this.worker?.terminate()
    this.worker = null
  }

  private start(): Worker {
    const worker = new Worker(THREAD, {
      eval: true,
      workerData: {
        file: this.file,
        driver: require.resolve('better-sqlite3'),
        gate: this.options.gate,
        restartWrite: this.options.restartWrite,
      },
    })
    worker.unref() // never what keeps the agent's process alive
    worker.on('error', (error) => this.options.onError?.(error.message))
    return worker
  }
}
