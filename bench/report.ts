// Figures, percentiles and the two outputs of `npm run bench`: a table for people
// (progress on stderr while it runs) and `--json` for machines.
export interface Figure {
  name: string
  value: number
  unit: string
  /** The same measurement on the bare baseline, in the same run. */
  baseline: number | null
  /** value / baseline (or the figure's own ratio definition). */
  ratio: number | null
  target: string | null
  db: string | null
  broker: string | null
  note?: string
}

const onlyArg = process.argv.find((a) => a.startsWith('--only='))

export const options = {
  json: process.argv.includes('--json'),
  quick: process.argv.includes('--quick'),
  /** --only=agent,api,scale,decision / sqlite,postgresql / aedes,mosquitto: what to run (default: all). */
  only: onlyArg ? onlyArg.slice('--only='.length).split(',') : null,
}

const groups = {
  part: ['decision', 'agent', 'api', 'scale'],
  db: ['sqlite', 'postgresql'],
  broker: ['aedes', 'mosquitto'],
}

/** Whether this part, database or broker runs: a group --only does not name runs whole. */
export function runs(kind: keyof typeof groups, name: string): boolean {
  const named = options.only?.filter((o) => groups[kind].includes(o)) ?? []
  return named.length === 0 || named.includes(name)
}

export function progress(message: string) {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${message}`)
  else process.stderr.write(`${message}\n`)
}

export function percentile(samples: number[], p: number): number {
  if (!samples.length) return Number.NaN
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits

export function ratio(value: number, baseline: number | null) {
  return baseline ? round(value / baseline, 2) : null
}

export function print(figures: Figure[]) {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K')
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ figures }, null, 2)}\n`)
    return
  }
  const rows = figures.map((f) => [
    f.name,
    `${f.value} ${f.unit}`,
    f.baseline === null ? '' : `${f.baseline} ${f.unit}`,
    f.ratio === null ? '' : `×${f.ratio}`,
    f.target ?? '',
    [f.db, f.broker].filter(Boolean).join(' + '),
  ])
  const header = ['figure', 'value', 'baseline', 'ratio', 'target', 'on']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')
  console.log(line(header))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const row of rows) console.log(line(row))
}
