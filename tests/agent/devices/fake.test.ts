// The fakes the controller tests and the simulator drive.
import { describe, expect, it } from 'vitest'
import { FakeReader, FakeRelay } from '../../../agent/devices/fake.js'
import type { DeviceHealth } from '../../../agent/devices/types.js'
import { record } from './wait.js'

describe('FakeReader', () => {
  it('taps the UID it is given, upper-cased, and records feedback', () => {
    const reader = new FakeReader()
    const taps = record<string>(reader, 'tap')
    reader.tap('0a0012ab34')
    reader.feedback('granted')
    reader.feedback('off')
    expect(taps).toEqual(['0A0012AB34'])
    expect(reader.signals).toEqual(['granted', 'off'])
  })

  it('refuses a UID that is not hex', () => {
    const reader = new FakeReader()
    const taps = record<string>(reader, 'tap')
    expect(() => reader.tap('alice')).toThrow(/hex/)
    expect(taps).toEqual([])
  })

  it('goes unhealthy and back when told', async () => {
    const reader = new FakeReader()
    const health = record<DeviceHealth>(reader, 'health')
    await reader.open()
    expect(reader.opened).toBe(true)
    reader.fail('unplugged')
    expect(reader.healthy).toBe(false)
    reader.recover()
    expect(health).toEqual([{ ok: false, reason: 'unplugged' }, { ok: true }])
    await reader.close()
    expect(reader.opened).toBe(false)
  })
})

describe('FakeRelay', () => {
  it('records every set and reports the state', async () => {
    const relay = new FakeRelay()
    const states = record<boolean>(relay, 'state')
    expect(relay.isOn).toBeNull()
    await relay.set(true)
    await relay.set(false)
    await relay.set(false)
    expect(relay.commands).toEqual([true, false, false])
    expect(states).toEqual([true, false, false])
    expect(relay.isOn).toBe(false)
  })

  it('reports the watts it is told to measure', () => {
    const relay = new FakeRelay()
    const powers = record<number>(relay, 'power')
    expect(relay.watts).toBeNull()
    relay.setWatts(850)
    relay.setWatts(12)
    expect(powers).toEqual([850, 12])
    expect(relay.watts).toBe(12)
  })

  it('refuses to switch while unhealthy, and switches again once recovered', async () => {
    const relay = new FakeRelay()
    const health = record<DeviceHealth>(relay, 'health')
    relay.fail()
    await expect(relay.set(true)).rejects.toThrow(/unhealthy/)
    expect(relay.commands).toEqual([])
    relay.recover()
    await relay.set(true)
    expect(relay.commands).toEqual([true])
    expect(health).toEqual([{ ok: false, reason: 'fake relay unplugged' }, { ok: true }])
  })
})
