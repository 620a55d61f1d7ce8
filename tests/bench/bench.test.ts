// `npm run bench -- --quick --json` as a machine reads it: one JSON object whose figures
// carry the named fields, every figure the issue names, each against its baseline, and a
// progress display on stderr meanwhile. Speeds are the bench's to prove, not this test's:
// nothing here is timed; what it asserts beyond the shape is that no event was lost.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '../..')

interface Figure {
  name: string
  value: number
  unit: string
  baseline: number | null
  ratio: number | null
  target: string | null
  db: string | null
  broker: string | null
}

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/main.ts', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => {
    stdout += d
  })
  child.stderr.on('data', (d: Buffer) => {
    stderr += d
  })
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })))
}

describe('npm run bench -- --quick --json', () => {
  it('prints one JSON object with every named figure against its baseline, and its progress on stderr', async () => {
    // SQLite and the embedded broker: what every machine has (the run then takes ~40 s).
    const { code, stdout, stderr } = await runBench(['--quick', '--json', '--only=sqlite,aedes'])
    expect(code, stderr).toBe(0)
    const { figures } = JSON.parse(stdout) as { figures: Figure[] }
    const names = figures.map((f) => f.name)
    for (const name of [
      'tap_to_relay_p99_ms',
      'tap_to_relay_offline_p99_ms',
      'decision_p99_ms',
      'revocation_p95_ms',
      'backlog_10k_s',
      'booking_create_p95_ms',
      'planning_query_p95_ms',
      'api_throughput_ratio',
      'agents_1000_lost_events',
    ])
      expect(names).toContain(name)
    for (const figure of figures) {
      expect(Object.keys(figure)).toEqual(
        expect.arrayContaining(['name', 'value', 'unit', 'baseline', 'ratio', 'target', 'db', 'broker']),
      )
      expect(Number.isFinite(figure.value), figure.name).toBe(true)
      // A figure measured against a baseline says by how much, from the same run's numbers.
      if (figure.baseline && figure.name !== 'api_throughput_ratio')
        expect(figure.ratio, figure.name).toBeCloseTo(figure.value / figure.baseline, 1)
    }
    const byName = (name: string) => figures.find((f) => f.name === name)!
    expect(byName('tap_to_relay_p99_ms')).toMatchObject({ db: 'sqlite', broker: 'aedes', unit: 'ms' })
    expect(byName('tap_to_relay_p99_ms').baseline).toBeGreaterThan(0)
    expect(byName('backlog_10k_s').baseline).toBeGreaterThan(0)
    expect(byName('agents_1000_lost_events')).toMatchObject({ value: 0, db: 'sqlite', broker: 'aedes' })
    // The progress display: each part says what it is doing while it runs.
    for (const step of ['agent: tap → relay', 'agent: revocation', 'api (sqlite)', 'scale:'])
      expect(stderr).toContain(step)
  }, 240_000)
})
