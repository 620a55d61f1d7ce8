// RDM6300 framing from raw bytes, as they come off the wire in whatever chunks.
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { RDM6300_FRAME_LENGTH, Rdm6300Parser, rdm6300Frame } from '../../../agent/devices/rdm6300.js'

const ALICE = '0A0012AB34'
const BOB = '0B0056CD78'
const alice = rdm6300Frame(ALICE)
const bob = rdm6300Frame(BOB)

describe('rdm6300Frame', () => {
  it('builds STX, 10 hex, the XOR of the 5 data bytes as 2 hex, ETX', () => {
    // 0x0A ^ 0x00 ^ 0x12 ^ 0xAB ^ 0x34 = 0x87
    expect([...alice]).toEqual([0x02, ...Buffer.from('0A0012AB3487', 'latin1'), 0x03])
    expect(alice).toHaveLength(RDM6300_FRAME_LENGTH)
  })

  it('refuses what is not a 10-digit hex UID', () => {
    expect(() => rdm6300Frame('0A0012AB3')).toThrow(/10 hex digits/)
    expect(() => rdm6300Frame('0A0012AB3G')).toThrow(/10 hex digits/)
  })
})

describe('Rdm6300Parser', () => {
  it('reads one frame', () => {
    expect(new Rdm6300Parser().push(alice)).toEqual([ALICE])
  })

  it('reads a frame split in two chunks, at every possible split point', () => {
    for (let cut = 1; cut < RDM6300_FRAME_LENGTH; cut++) {
      const parser = new Rdm6300Parser()
      expect(parser.push(alice.subarray(0, cut)), `cut at ${cut}`).toEqual([])
      expect(parser.push(alice.subarray(cut)), `cut at ${cut}`).toEqual([ALICE])
      expect(parser.buffered).toBe(0)
    }
  })

  it('reads a frame arriving byte by byte', () => {
    const parser = new Rdm6300Parser()
    const uids = [...alice].flatMap((b) => parser.push(Buffer.from([b])))
    expect(uids).toEqual([ALICE])
  })

  it('reads back-to-back frames in one chunk, and a frame split across two chunks between others', () => {
    const parser = new Rdm6300Parser()
    const stream = Buffer.concat([alice, bob, alice])
    expect(parser.push(stream.subarray(0, 20))).toEqual([ALICE])
    expect(parser.push(stream.subarray(20))).toEqual([BOB, ALICE])
  })

  it('upper-cases a frame sent in lower-case hex', () => {
    const lower = Buffer.from(alice.toString('latin1').toLowerCase(), 'latin1')
    expect(new Rdm6300Parser().push(lower)).toEqual([ALICE])
  })

  it('drops a frame with a bad checksum without throwing, and reads the next one', () => {
    const bad = Buffer.from(alice)
    bad[12] = 0x38 // checksum 0x87 → 0x88
    const parser = new Rdm6300Parser()
    expect(parser.push(Buffer.concat([bad, bob]))).toEqual([BOB])
    expect(parser.dropped).toBe(1)
  })

  it('drops a frame with a flipped data digit (checksum no longer matches)', () => {
    const flipped = Buffer.from(alice)
    flipped[3] = 0x31 // 0A00… → 0A10…
    expect(new Rdm6300Parser().push(flipped)).toEqual([])
  })

  it('drops frames with a non-hex character, a missing ETX or a wrong length', () => {
    const parser = new Rdm6300Parser()
    const nonHex = Buffer.from(alice)
    nonHex[5] = 0x47 // 'G'
    const noEtx = Buffer.from(alice)
    noEtx[13] = 0x0d
    const short = Buffer.concat([alice.subarray(0, 12), Buffer.from([0x03])]) // 11 digits
    const long = Buffer.concat([alice.subarray(0, 13), Buffer.from('0', 'latin1'), Buffer.from([0x03])])
    expect(parser.push(Buffer.concat([nonHex, noEtx, short, long]))).toEqual([])
    expect(parser.push(alice)).toEqual([ALICE])
  })

  it('resynchronises after noise, stray STX and ETX, a truncated frame and garbage between frames', () => {
    const noise = Buffer.from([0xff, 0x02, 0x41, 0x03, 0x02, 0x02, 0x00, 0x03])
    const truncated = alice.subarray(0, 9)
    const stream = Buffer.concat([noise, truncated, alice, Buffer.from('garbage\r\n'), bob, Buffer.from([0x02])])
    const parser = new Rdm6300Parser()
    expect(parser.push(stream)).toEqual([ALICE, BOB])
    // The trailing STX may start a frame: it is kept, and only it.
    expect(parser.buffered).toBe(1)
  })

  it('finds a frame that starts inside a truncated one', () => {
    // STX 0A00 STX 0A0012AB3487 ETX: the first STX's 14 bytes are not a frame.
    const stream = Buffer.concat([alice.subarray(0, 5), alice])
    expect(new Rdm6300Parser().push(stream)).toEqual([ALICE])
  })

  it('survives 10 MB of random bytes: no tap, memory bounded, still reads a real frame after', () => {
    const parser = new Rdm6300Parser()
    const uids: string[] = []
    let maxBuffered = 0
    for (let i = 0; i < 160; i++) {
      const chunk = randomBytes(65_536)
      // Make STX and ETX far more frequent than chance, to stress resynchronisation.
      for (let k = i % 13; k < chunk.length; k += 29) chunk[k] = k % 2 ? 0x02 : 0x03
      uids.push(...parser.push(chunk))
      maxBuffered = Math.max(maxBuffered, parser.buffered)
    }
    // A random 14-byte run passes STX, 12 hex digits, checksum and ETX with a probability
    // far below 1e-20 per position: any UID here is a parser bug.
    expect(uids).toEqual([])
    expect(maxBuffered).toBeLessThan(RDM6300_FRAME_LENGTH)
    expect(parser.dropped).toBeGreaterThan(0)
    expect(parser.push(Buffer.concat([Buffer.from([0x03]), alice]))).toEqual([ALICE])
  })

  it('never keeps more than an unfinished frame, whatever the chunking', () => {
    const parser = new Rdm6300Parser()
    for (let i = 0; i < 1000; i++) {
      parser.push(Buffer.from([0x02, 0x30, 0x41]))
      expect(parser.buffered).toBeLessThan(RDM6300_FRAME_LENGTH)
    }
  })
})
