// RFC 4180 CSV for spreadsheets. The BOM makes Excel read UTF-8 accents correctly;
// cells that start like a formula are prefixed so a spreadsheet does not run them.
export type Cell = string | number | boolean | null | undefined | Date

function cell(value: Cell): string {
  if (value === null || value === undefined) return ''
  let text = value instanceof Date ? value.toISOString() : String(value)
  if (/^[=+\-@\t\r]/.test(text) && typeof value === 'string') text = `'${text}`
  return /[",\r\n;]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export function toCsv(header: string[], rows: Cell[][]): string {
  return `\uFEFF${[header, ...rows].map((row) => row.map(cell).join(',')).join('\r\n')}\r\n`
}
