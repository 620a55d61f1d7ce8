// How a server instance on PostgreSQL learns that rows it keeps copies of may have changed
// (see changeStamp in client.ts). Its own writes bump the epoch as soon as their statement
// or COMMIT returns, before any answer that follows them. Others' it hears on a LISTEN
// connection:
// - each instance announces its committed writes before they return (a NOTIFY of its own,
//   after the COMMIT: a live push that follows the write, as socket.io's through
//   PostgreSQL, reaches other instances after it);
// - triggers on the tables of callers, memberships and spaces notify whoever else writes
//   them (psql, a script). The machines' planning counters have none: a NOTIFY inside every
//   booking's commit serialised booking commits on PostgreSQL's notification lock (p95
//   +10 ms at 50 clients); a planning edited by hand in SQL shows within the copies' 10 s.
// While the connection is down nothing is kept: a notification missed then cannot leave a
// stale copy behind.
import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import pg from 'pg'

/** The channel of the announcements and of the triggers of migration `20261201203000_change_feed`. */
export const CHANGE_CHANNEL = 'fablab_changes'

/** After a dropped or refused connection, it tries again after this. */
const RETRY_MS = 1000

export class PgChangeFeed extends EventEmitter<{ change: [payload: string]; listening: []; down: [] }> {
  private epoch = 0
  private client: pg.Client | null = null
  private listening = false
  private retry: NodeJS.Timeout | null = null
  private closed = false

  /** Names this process in its announcements. */
  readonly id = randomBytes(6).toString('hex')

  constructor(private readonly url: string) {
    super()
  }

  /** The epoch while the feed listens, else null (the first call starts it). */
  stamp(): string | null {
    if (this.listening) return String(this.epoch)
    this.start()
    return null
  }

  /** This process wrote: whatever it read before may be stale. */
  bump() {
    this.epoch++
  }

  /** The NOTIFY of this process's committed writes: `write:<id>` (operators see who wrote). */
  get announcement(): string {
    return `write:${this.id}`
  }

  get isListening() {
    return this.listening
  }

  private start() {
    if (this.client || this.closed || this.retry) return
    // keepAlive: a connection lost without a word (a cable, a NAT) is noticed, not trusted.
    const client = new pg.Client({ connectionString: this.url, keepAlive: true })
    this.client = client
    const down = () => {
      if (this.client !== client) return
      this.client = null
      this.listening = false
      this.epoch++
      void abandon(client)
      this.emit('down')
      if (this.closed) return
      this.retry = setTimeout(() => {
        this.retry = null
        this.start()
      }, RETRY_MS).unref()
    }
    client.on('error', down)
    client.on('end', down)
    client.on('notification', (message) => {
      this.epoch++
      this.emit('change', message.payload ?? '')
    })
    client
      .connect()
      .then(() => client.query(`LISTEN ${CHANGE_CHANNEL}`))
      .then(() => {
        if (this.client !== client) return
        this.epoch++ // what was read before listening was never covered
        this.listening = true
        this.emit('listening')
      })
      // Unreachable for now: tried again after RETRY_MS; until then nothing is kept.
      .catch(down)
  }

  async close() {
    this.closed = true
    this.listening = false
    if (this.retry) clearTimeout(this.retry)
    const client = this.client
    this.client = null
    if (client) await abandon(client)
  }
}

/** Ends a connection given up on, deaf to its late errors. */
async function abandon(client: pg.Client) {
  client.removeAllListeners()
  client.on('error', () => {})
  await client.end().catch(() => {})
}
