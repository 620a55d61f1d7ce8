import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { type Answer, encodeAnswer, PlanningCache, planningEtag } from '../../server/services/planning-cache.js'

/** An answer of `text` bytes (nothing compressed: the byte counts below are the text's). */
const answer = (text: string): Answer => ({ json: Buffer.from(text), gzip: Buffer.alloc(0), br: Buffer.alloc(0) })
const text = (a: Answer | undefined) => a?.json.toString()

describe('PlanningCache', () => {
  it('serves an answer only at the version it was kept for', () => {
    const cache = new PlanningCache()
    cache.set('k', 'v3', answer('[1]'))
    expect(text(cache.get('k', 'v3'))).toBe('[1]')
    expect(cache.get('k', 'v4')).toBeUndefined()
    // The stale answer is dropped, not kept beside the new one.
    expect(cache.size).toEqual({ entries: 0, bytes: 0 })
  })

  it('holds at most its byte budget, dropping the least recently used first', () => {
    const cache = new PlanningCache(10)
    cache.set('a', 'v1', answer('aaaa'))
    cache.set('b', 'v1', answer('bbbb'))
    cache.get('a', 'v1') // a is now the most recently used
    cache.set('c', 'v1', answer('cccc'))
    expect(cache.get('b', 'v1')).toBeUndefined()
    expect(text(cache.get('a', 'v1'))).toBe('aaaa')
    expect(text(cache.get('c', 'v1'))).toBe('cccc')
    expect(cache.size.bytes).toBeLessThanOrEqual(10)
    cache.set('huge', 'v1', answer('x'.repeat(11))) // larger than the budget: not kept at all
    expect(cache.get('huge', 'v1')).toBeUndefined()
    expect(cache.size.entries).toBe(2)
  })

  it('gives one ETag per version and key', () => {
    expect(planningEtag('k', 'v1')).toBe(planningEtag('k', 'v1'))
    expect(planningEtag('k', 'v2')).not.toBe(planningEtag('k', 'v1'))
    expect(planningEtag('j', 'v1')).not.toBe(planningEtag('k', 'v1'))
  })

  it('encodes an answer once as JSON bytes, gzip and brotli of the same, brotli the smallest', async () => {
    const body = JSON.stringify(
      Array.from({ length: 500 }, (_, i) => ({ id: `b${(i * 7919).toString(36)}`, machine: `laser-${i % 7}` })),
    )
    const encoded = await encodeAnswer(body)
    expect(encoded.json.toString()).toBe(body)
    expect(gunzipSync(encoded.gzip).toString()).toBe(body)
    expect(brotliDecompressSync(encoded.br).toString()).toBe(body)
    expect(encoded.gzip.length).toBeLessThan(encoded.json.length / 5)
    expect(encoded.br.length).toBeLessThan(encoded.gzip.length * 0.8)
  })
})

describe('PlanningCache.answer', () => {
  it('computes an answer once for requests that ask for it together, and not again', async () => {
    const cache = new PlanningCache()
    let computed = 0
    let release = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const compute = async () => {
      computed++
      await gate
      return answer('[42]')
    }
    const together = Array.from({ length: 20 }, () => cache.answer('week', 'v1', compute))
    release()
    expect((await Promise.all(together)).map(text)).toEqual(Array(20).fill('[42]'))
    expect(text(await cache.answer('week', 'v1', compute))).toBe('[42]')
    expect(computed).toBe(1)
    expect(text(await cache.answer('week', 'v2', compute))).toBe('[42]') // a new version computes again
    expect(computed).toBe(2)
  })

  it('does not keep a failed computation', async () => {
    const cache = new PlanningCache()
    await expect(cache.answer('k', 'v1', async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down')
    expect(text(await cache.answer('k', 'v1', async () => answer('[]')))).toBe('[]')
  })
})
