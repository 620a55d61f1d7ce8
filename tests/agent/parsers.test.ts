// Framing of the serial readers, fed raw bytes as they come off the wire.
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { TapDebouncer } from '../../agent/devices/debounce.js'
import { lcusCommand } from '../../agent/devices/lcus.js'
import { LineParser } from '../../agent/devices/line-reader.js'
import { Rdm6300Parser, rdm6300Frame } from '../../agent/devices/rdm6300.js'

const alice = rdm6300Frame('0A0012AB34')

describe('RDM6300 frames', () => {
  it('reads a frame: STX, 10 hex, XOR checksum, ETX', () => {
    // 0A ^ 00 ^ 12 ^ AB ^ 34 = 0x87
    expect(alice.toString('latin1')).toBe('\x020A0012AB3487\x03')
    expect(new Rdm6300Parser().push(alice)).toEqual(['0A0012AB34'])
  })

  it('reads a frame arriving in two chunks, and in single bytes', () => {
    const parser = new Rdm6300Parser()
    expect(parser.push(alice.subarray(0, 6))).toEqual([])
    expect(parser.push(alice.subarray(6))).toEqual(['0A0012AB34'])
    const bytewise = new Rdm6300Parser()
    const uids = [...alice].flatMap((b) => bytewise.push(Buffer.from([b])))
    expect(uids).toEqual(['0A0012AB34'])
  })

  it('drops a bad checksum without crashing, and reads the next good frame', () => {
    const bad = Buffer.from(alice)
    bad[11] = 0x30 // checksum digit changed
    const parser = new Rdm6300Parser()
    expect(parser.push(Buffer.concat([bad, alice]))).toEqual(['0A0012AB34'])
    expect(parser.dropped).toBe(1)
  })

  it('resynchronises after noise, a truncated frame and a stray STX', () => {
    const noise = Buffer.from([0xff, 0x02, 0x41, 0x03, 0x02, 0x02])
    const truncated = alice.subarray(0, 9)
    const uids = new Rdm6300Parser().push(
      Buffer.concat([noise, truncated, alice, Buffer.from('garbage'), rdm6300Frame('0B0056CD78')]),
    )
    expect(uids).toEqual(['0A0012AB34', '0B0056CD78'])
  })

  it('survives 10 MB of random bytes without a false tap and with bounded memory', () => {
    const parser = new Rdm6300Parser()
    const taps: string[] = []
    for (let i = 0; i < 160; i++) {
      // Random bytes with their STX/ETX made more frequent than chance, to stress resynchronisation.
      const chunk = randomBytes(65_536)
      for (let k = 0; k < chunk.length; k += 97) chunk[k] = 0x02
      taps.push(...parser.push(chunk))
    }
    // A random 14-byte run passes structure, hex and checksum with a probability far
    // below one in 10^13: any tap here is a parser bug.
    expect(taps).toEqual([])
    expect((parser as unknown as { buffer: Buffer }).buffer.length).toBeLessThan(14)
    expect(parser.push(alice)).toEqual(['0A0012AB34'])
  })
})

describe('line protocol', () => {
  it('reads UID lines, upper-cased, across chunks and CRLF', () => {
    const parser = new LineParser()
    expect(parser.push(Buffer.from('UID 04a1b2'))).toEqual([])
    expect(parser.push(Buffer.from('c3d4\r\nUID 0A0012AB34\n'))).toEqual(['04A1B2C3D4', '0A0012AB34'])
  })

  it('drops garbage and over-long lines', () => {
    const parser = new LineParser()
    expect(parser.push(Buffer.from(`hello\nUID zz\n${'x'.repeat(200)}`))).toEqual([])
    expect(parser.push(Buffer.from('\nUID 0B0056CD78\n'))).toEqual(['0B0056CD78'])
    expect(parser.dropped).toBe(3)
  })
})

describe('one presentation is one tap', () => {
  it('counts a held card once, and again after it was away', () => {
    let t = 0
    const debounce = new TapDebouncer(500, () => t)
    const seen: boolean[] = []
    for (let i = 0; i < 20; i++) {
      seen.push(debounce.seen('0A0012AB34'))
      t += 50 // the RDM6300 repeats every ~50 ms
    }
    expect(seen.filter(Boolean)).toHaveLength(1)
    t += 600
    expect(debounce.seen('0A0012AB34')).toBe(true)
    expect(debounce.seen('0B0056CD78')).toBe(true)
  })
})

describe('LCUS commands', () => {
  it('writes A0 channel state checksum', () => {
    expect([...lcusCommand(1, true)]).toEqual([0xa0, 0x01, 0x01, 0xa2])
    expect([...lcusCommand(1, false)]).toEqual([0xa0, 0x01, 0x00, 0xa1])
    expect([...lcusCommand(4, true)]).toEqual([0xa0, 0x04, 0x01, 0xa5])
  })
})
