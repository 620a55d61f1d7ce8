// One presentation is one tap: the debouncer alone, on an injected clock.
import { describe, expect, it } from 'vitest'
import { TapDebouncer } from '../../../agent/devices/debounce.js'

describe('TapDebouncer', () => {
  it('counts a card held in the field once, however often the reader repeats it', () => {
    let t = 0
    const debounce = new TapDebouncer(500, () => t)
    const seen: boolean[] = []
    for (let i = 0; i < 100; i++) {
      seen.push(debounce.seen('0A0012AB34'))
      t += 50 // RDM6300: a frame about every 50 ms
    }
    expect(seen.filter(Boolean)).toHaveLength(1)
    expect(seen[0]).toBe(true)
  })

  it('counts the same card again once it was absent for longer than absentMs, not before', () => {
    let t = 1_000_000
    const debounce = new TapDebouncer(500, () => t)
    expect(debounce.seen('0A0012AB34')).toBe(true)
    t += 500 // absent exactly absentMs: still the same presentation
    expect(debounce.seen('0A0012AB34')).toBe(false)
    t += 501
    expect(debounce.seen('0A0012AB34')).toBe(true)
  })

  it('counts a different card at once', () => {
    let t = 0
    const debounce = new TapDebouncer(500, () => t)
    expect(debounce.seen('0A0012AB34')).toBe(true)
    t += 10
    expect(debounce.seen('0B0056CD78')).toBe(true)
    t += 10
    expect(debounce.seen('0A0012AB34')).toBe(false)
  })

  it('takes its window from the constructor', () => {
    let t = 0
    const debounce = new TapDebouncer(3000, () => t)
    expect(debounce.seen('04A1B2C3')).toBe(true)
    t += 2000 // Tasmota republishes a held card about every 2 s
    expect(debounce.seen('04A1B2C3')).toBe(false)
    t += 3001
    expect(debounce.seen('04A1B2C3')).toBe(true)
  })

  it('does not swallow taps forever when the clock steps back', () => {
    let t = 10_000
    const debounce = new TapDebouncer(500, () => t)
    expect(debounce.seen('0A0012AB34')).toBe(true)
    t = 0
    expect(debounce.seen('0A0012AB34')).toBe(true)
  })

  it('remembers a bounded number of cards', () => {
    let t = 0
    const debounce = new TapDebouncer(500, () => t)
    for (let i = 0; i < 10_000; i++) {
      debounce.seen(i.toString(16).padStart(10, '0'))
      t += 1
    }
    expect(debounce.remembered).toBeLessThanOrEqual(64)
    t += 1000
    debounce.seen('0A0012AB34')
    expect(debounce.remembered).toBe(1)
  })
})
