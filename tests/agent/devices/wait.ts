// Awaiting device events in tests: every wait has a deadline, so a missing event fails
// the test with a message instead of hanging it.
import type { EventEmitter } from 'node:events'

// Real timers even under vi.useFakeTimers(): a deadline must pass in real time.
const realSetTimeout = globalThis.setTimeout
const realClearTimeout = globalThis.clearTimeout

/** The arguments of the next `event` (that `accept` takes, if given) within `timeoutMs`. */
export function nextEvent<T extends unknown[] = unknown[]>(
  emitter: EventEmitter,
  event: string,
  options: { timeoutMs?: number; accept?: (...args: T) => boolean } = {},
): Promise<T> {
  const { timeoutMs = 5000, accept } = options
  return new Promise((resolve, reject) => {
    const timer = realSetTimeout(() => {
      emitter.off(event, listener)
      reject(new Error(`no "${event}" event within ${timeoutMs} ms`))
    }, timeoutMs)
    const listener = (...args: unknown[]) => {
      if (accept && !accept(...(args as T))) return
      realClearTimeout(timer)
      emitter.off(event, listener)
      resolve(args as T)
    }
    emitter.on(event, listener)
  })
}

/** Records every emission of some events, for assertions after a barrier. */
export function record<T = unknown>(emitter: EventEmitter, event: string): T[] {
  const seen: T[] = []
  emitter.on(event, (value: T) => seen.push(value))
  return seen
}

/** Settles within `timeoutMs` or fails with `what`. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = realSetTimeout(() => reject(new Error(`${what}: not within ${timeoutMs} ms`)), timeoutMs)
      }),
    ])
  } finally {
    realClearTimeout(timer)
  }
}
