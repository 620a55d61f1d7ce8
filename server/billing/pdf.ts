// A small PDF writer for invoices: A4 pages of text in the standard Helvetica fonts with
// WinAnsi encoding (French accents and €), no dependency and no font file. Every PDF
// reader, and pdftotext, reads it.

const PAGE_WIDTH = 595
const PAGE_HEIGHT = 842

/** Helvetica advance widths (1/1000 em) for the characters numbers are made of; others ≈ 556. */
const widths: Record<string, number> = {
  ' ': 278,
  ',': 278,
  '.': 278,
  '-': 333,
  ':': 278,
  '%': 889,
  '€': 556,
  '(': 333,
  ')': 333,
  '/': 278,
  h: 556,
  m: 833,
  i: 222,
  n: 556,
}

/** Unicode → WinAnsi (cp1252) bytes; characters outside it become "?". */
function winAnsi(text: string): number[] {
  const special: Record<string, number> = {
    '€': 0x80,
    '’': 0x92,
    '‘': 0x91,
    '“': 0x93,
    '”': 0x94,
    '–': 0x96,
    '—': 0x97,
    '…': 0x85,
    '\u202f': 0x20,
    '\u00a0': 0x20,
  }
  const bytes: number[] = []
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0x3f
    if (special[ch] !== undefined) bytes.push(special[ch])
    else if (code < 0x100 && code >= 0x20) bytes.push(code)
    else bytes.push(0x3f)
  }
  return bytes
}

function pdfString(text: string): string {
  return winAnsi(text)
    .map((b) => {
      if (b === 0x28 || b === 0x29 || b === 0x5c) return `\\${String.fromCharCode(b)}`
      if (b < 0x20 || b > 0x7e) return `\\${b.toString(8).padStart(3, '0')}`
      return String.fromCharCode(b)
    })
    .join('')
}

export function textWidth(text: string, size: number): number {
  let w = 0
  for (const ch of text) w += widths[ch] ?? 556
  return (w * size) / 1000
}

export interface TextOptions {
  size?: number
  bold?: boolean
  align?: 'left' | 'right'
}

/** Lays out text top-down on A4 pages; y counts from the top in points. */
export class PdfDocument {
  private pages: string[][] = [[]]

  get page() {
    return this.pages.length
  }

  newPage() {
    this.pages.push([])
  }

  text(x: number, y: number, text: string, options: TextOptions = {}) {
    const size = options.size ?? 10
    const left = options.align === 'right' ? x - textWidth(text, size) : x
    this.pages
      .at(-1)!
      .push(
        `BT /${options.bold ? 'F2' : 'F1'} ${size} Tf ${left.toFixed(2)} ${(PAGE_HEIGHT - y).toFixed(2)} Td (${pdfString(text)}) Tj ET`,
      )
  }

  line(x1: number, y: number, x2: number) {
    this.pages.at(-1)!.push(`${x1} ${PAGE_HEIGHT - y} m ${x2} ${PAGE_HEIGHT - y} l 0.5 w S`)
  }

  toBuffer(info: { title: string }): Buffer {
    const objects: string[] = []
    const add = (body: string) => {
      objects.push(body)
      return objects.length
    }
    const catalog = add('') // filled once the page tree is known
    const pageTree = add('')
    const regular = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>')
    const bold = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>')
    const kids: number[] = []
    for (const ops of this.pages) {
      const stream = ops.join('\n')
      const content = add(`<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`)
      kids.push(
        add(
          `<< /Type /Page /Parent ${pageTree} 0 R /MediaBox [0 0 ${PAGE_WIDTH} ${PAGE_HEIGHT}] /Resources << /Font << /F1 ${regular} 0 R /F2 ${bold} 0 R >> >> /Contents ${content} 0 R >>`,
        ),
      )
    }
    objects[catalog - 1] = `<< /Type /Catalog /Pages ${pageTree} 0 R >>`
    objects[pageTree - 1] = `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`
    const infoObject = add(`<< /Title (${pdfString(info.title)}) /Producer (fablab-access) >>`)

    let out = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n'
    const offsets: number[] = []
    objects.forEach((body, i) => {
      offsets.push(Buffer.byteLength(out, 'latin1'))
      out += `${i + 1} 0 obj\n${body}\nendobj\n`
    })
    const xref = Buffer.byteLength(out, 'latin1')
    out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`
    for (const offset of offsets) out += `${offset.toString().padStart(10, '0')} 00000 n \n`
    out += `trailer\n<< /Size ${objects.length + 1} /Root ${catalog} 0 R /Info ${infoObject} 0 R >>\nstartxref\n${xref}\n%%EOF\n`
    return Buffer.from(out, 'latin1')
  }
}

export const pageSize = { width: PAGE_WIDTH, height: PAGE_HEIGHT }
