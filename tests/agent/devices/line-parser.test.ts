// The line protocol of our reader sketch, from raw bytes.
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { FEEDBACK_LINES, LineParser, MAX_LINE } from '../../../agent/devices/line-reader.js'

const push = (parser: LineParser, text: string) => parser.push(Buffer.from(text, 'latin1'))

describe('LineParser', () => {
  it('reads UID lines, upper-cased, with LF or CRLF', () => {
    const parser = new LineParser()
    expect(push(parser, 'UID 04a1b2c3\nUID 0A0012AB34\r\nUID 04A1B2C3D4E5F6\n')).toEqual([
      '04A1B2C3',
      '0A0012AB34',
      '04A1B2C3D4E5F6',
    ])
  })

  it('joins a line split across chunks, wherever the cut', () => {
    const line = 'UID 04a1b2c3d4\r\n'
    for (let cut = 1; cut < line.length; cut++) {
      const parser = new LineParser()
      expect(push(parser, line.slice(0, cut))).toEqual([])
      expect(push(parser, line.slice(cut))).toEqual(['04A1B2C3D4'])
    }
  })

  it('waits for the end of the line before reporting', () => {
    expect(push(new LineParser(), 'UID 04A1B2C3')).toEqual([])
  })

  it('drops garbage lines and UIDs that are not whole bytes of a real UID length', () => {
    const parser = new LineParser()
    const garbage = [
      'hello',
      'UID zz',
      'UID 04A1B2C',
      'UID 04A1',
      `UID ${'AB'.repeat(11)}`,
      'uid 04A1B2C3',
      'UID  04A1B2C3 extra',
      'READY',
    ]
    expect(push(parser, `${garbage.join('\n')}\n`)).toEqual([])
    expect(parser.dropped).toBe(garbage.length)
    expect(push(parser, 'UID 0B0056CD78\n')).toEqual(['0B0056CD78'])
  })

  it('ignores empty lines without counting them', () => {
    const parser = new LineParser()
    expect(push(parser, '\n\r\n  \n')).toEqual([])
    expect(parser.dropped).toBe(0)
  })

  it('drops an over-long line whole, even when its tail looks like a UID line', () => {
    const parser = new LineParser()
    expect(push(parser, 'x'.repeat(MAX_LINE + 10))).toEqual([])
    expect(push(parser, 'UID 0A0012AB34')).toEqual([])
    expect(push(parser, '\nUID 0B0056CD78\n')).toEqual(['0B0056CD78'])
    expect(parser.dropped).toBe(1)
  })

  it('drops an over-long line arriving in one chunk', () => {
    const parser = new LineParser()
    expect(push(parser, `${'y'.repeat(200)}UID 0A0012AB34\nUID 0B0056CD78\n`)).toEqual(['0B0056CD78'])
  })

  it('keeps memory bounded on endless input without a newline', () => {
    const parser = new LineParser()
    for (let i = 0; i < 1000; i++) {
      push(parser, 'UID 0A0012AB34 ')
      expect(parser.buffered).toBeLessThanOrEqual(MAX_LINE)
    }
    expect(push(parser, '\nUID 0A0012AB34\n')).toEqual(['0A0012AB34'])
  })

  it('survives 10 MB of random bytes without a UID', () => {
    const parser = new LineParser()
    const uids: string[] = []
    for (let i = 0; i < 160; i++) {
      const chunk = randomBytes(65_536)
      for (let k = i % 7; k < chunk.length; k += 41) chunk[k] = 0x0a
      uids.push(...parser.push(chunk))
      expect(parser.buffered).toBeLessThanOrEqual(MAX_LINE)
    }
    expect(uids).toEqual([])
    expect(push(parser, '\nUID 0A0012AB34\n')).toEqual(['0A0012AB34'])
  })
})

describe('feedback lines', () => {
  it('tells the sketch LED and BEEP lines, one command per line', () => {
    expect(FEEDBACK_LINES).toEqual({
      granted: 'LED green\nBEEP 1\n',
      denied: 'LED red\nBEEP 3\n',
      warning: 'BEEP 2\n',
      off: 'LED off\n',
    })
  })
})
