// A socket.io client as a browser would open it, with helpers to await pushed events.
import { io, type Socket } from 'socket.io-client'

export interface LiveClient {
  socket: Socket
  /** Every event received so far, in order. */
  received: { event: string; payload: unknown }[]
  // biome-ignore lint/suspicious/noExplicitAny: payloads are checked by each test's own assertions
  next(event: string, match?: (payload: any) => boolean, timeoutMs?: number): Promise<any>
  close(): void
}

export async function connectLive(baseUrl: string, auth: { cookie?: string; token?: string }): Promise<LiveClient> {
  const socket = io(baseUrl, {
    transports: ['websocket'],
    reconnection: false,
    extraHeaders: auth.cookie ? { cookie: auth.cookie } : {},
    auth: auth.token ? { token: auth.token } : {},
  })
  const received: LiveClient['received'] = []
  const waiters: { event: string; match: (p: unknown) => boolean; resolve: (p: unknown) => void }[] = []
  socket.onAny((event: string, payload: unknown) => {
    received.push({ event, payload })
    for (const w of [...waiters]) {
      if (w.event === event && w.match(payload)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(payload)
      }
    }
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve())
    socket.once('connect_error', (error) => reject(error))
  })
  return {
    socket,
    received,
    next: (event, match = () => true, timeoutMs = 5000) => {
      const seen = received.find((r) => r.event === event && match(r.payload))
      if (seen) return Promise.resolve(seen.payload)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs)
        waiters.push({
          event,
          match,
          resolve: (p) => {
            clearTimeout(timer)
            resolve(p)
          },
        })
      })
    },
    close: () => socket.close(),
  }
}
