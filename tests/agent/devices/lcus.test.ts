// LCUS relay boards on @serialport/binding-mock (recording what is written): the exact
// command bytes, state after the write, channels sharing one port, refusal while unplugged.
import { afterEach, describe, expect, it } from 'vitest'
import { LcusBoard, LcusRelay, lcusCommand, sharedLcusBoard } from '../../../agent/devices/lcus.js'
import type { DeviceHealth } from '../../../agent/devices/types.js'
import { MockPorts, mockDevice } from './mock-ports.js'
import { nextEvent, record } from './wait.js'

const relays: LcusRelay[] = []
afterEach(async () => {
  for (const r of relays.splice(0)) await r.close()
})
function relay(board: LcusBoard, channel: number) {
  const made = new LcusRelay(board, channel)
  relays.push(made)
  return made
}

describe('lcusCommand', () => {
  it('is A0, channel, state, (A0 + channel + state) & FF', () => {
    expect([...lcusCommand(1, true)]).toEqual([0xa0, 0x01, 0x01, 0xa2])
    expect([...lcusCommand(1, false)]).toEqual([0xa0, 0x01, 0x00, 0xa1])
    expect([...lcusCommand(2, true)]).toEqual([0xa0, 0x02, 0x01, 0xa3])
    expect([...lcusCommand(8, false)]).toEqual([0xa0, 0x08, 0x00, 0xa8])
    // The sum wraps: 0xA0 + 0x60 + 1 = 0x101.
    expect([...lcusCommand(0x60, true)]).toEqual([0xa0, 0x60, 0x01, 0x01])
  })

  it('refuses a channel that is not a byte from 1', () => {
    for (const bad of [0, -1, 1.5, 256, Number.NaN]) expect(() => lcusCommand(bad, true)).toThrow(RangeError)
  })
})

describe('LcusRelay', () => {
  it('writes exactly A0 01 01 A2 for channel 1 on, and reports the state once it is written', async () => {
    const ports = new MockPorts()
    const board = new LcusBoard(mockDevice('lcus', { record: true }), ports.factory)
    const one = relay(board, 1)
    await one.open()
    expect(one.isOn).toBeNull()
    const states: [boolean, number[], boolean | null][] = []
    one.on('state', (on) => states.push([on, [...ports.binding().recording], one.isOn]))
    await one.set(true)
    expect(states).toEqual([[true, [0xa0, 0x01, 0x01, 0xa2], true]])
    expect(one.isOn).toBe(true)
    await one.set(false)
    expect([...ports.binding().recording]).toEqual([0xa0, 0x01, 0x01, 0xa2, 0xa0, 0x01, 0x00, 0xa1])
    expect(states.map(([on]) => on)).toEqual([true, false])
    expect(one.watts).toBeNull()
    expect(one.kind).toBe('lcus')
  })

  it('shares one port between the channels of a board', async () => {
    const ports = new MockPorts()
    const path = mockDevice('lcus-shared', { record: true })
    const one = relay(sharedLcusBoard(path, ports.factory), 1)
    const two = relay(sharedLcusBoard(path, ports.factory), 2)
    expect(one.board).toBe(two.board)
    await one.open()
    await two.open()
    expect(ports.attempts).toBe(1)
    await Promise.all([one.set(true), two.set(true)])
    await one.set(false)
    expect([...ports.binding().recording]).toEqual([
      0xa0, 0x01, 0x01, 0xa2, 0xa0, 0x02, 0x01, 0xa3, 0xa0, 0x01, 0x00, 0xa1,
    ])
    expect([one.isOn, two.isOn]).toEqual([false, true])
    // The port stays open while one channel still uses it.
    await one.close()
    expect(two.healthy).toBe(true)
    await two.set(false)
    await two.close()
    expect(ports.last().isOpen).toBe(false)
  })

  it('refuses to switch while the board is unplugged, with a clear error, and forgets its state', async () => {
    const ports = new MockPorts()
    const board = new LcusBoard(mockDevice('lcus-gone', { record: true }), ports.factory, { retryMs: 60_000 })
    const one = relay(board, 3)
    await one.open()
    await one.set(true)
    const lost = nextEvent<[DeviceHealth]>(one, 'health')
    ports.last().close()
    expect((await lost)[0].ok).toBe(false)
    expect(one.healthy).toBe(false)
    // The board may have lost power: its relays are off or unknown, not "on".
    expect(one.isOn).toBeNull()
    const states = record(one, 'state')
    await expect(one.set(true)).rejects.toThrow(/LCUS relay channel 3: serial port .* is not open/)
    expect(states).toEqual([])
  })

  it('refuses channels a board does not have', () => {
    const board = new LcusBoard(mockDevice('lcus-range'), new MockPorts().factory)
    expect(() => new LcusRelay(board, 0)).toThrow(/channel must be 1 to 8/)
    expect(() => new LcusRelay(board, 9)).toThrow(/channel must be 1 to 8/)
  })
})
