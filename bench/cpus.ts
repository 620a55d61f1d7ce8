// On a Pi the server runs on another machine: while tap → relay is measured, the server
// (and a broker of its own) keep to one core, and the bench's process (the agent and the
// load) with the processes it started for the agent's side (the pseudo-terminals' socat,
// the baseline's echo) to the others, so the server's work on the taps does not queue the
// agent behind it. With one core, or without taskset, nothing changes.
import { execFileSync } from 'node:child_process'
import { availableParallelism } from 'node:os'

const setAffinity = (pid: number, cpus: string) =>
  execFileSync('taskset', ['-a', '-pc', cpus, String(pid)], { stdio: 'ignore' })

/** The processes this process started. */
function ourChildren(): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(Number)
  } catch {
    return [] // none, or no pgrep
  }
}

/** Keeps `serverPids` on the last core and the agent's side on the others; returns the undo. */
export function keepServerApart(serverPids: number[]): { apart: boolean; restore: () => void } {
  const cores = availableParallelism()
  const agentSide = [process.pid, ...ourChildren().filter((pid) => !serverPids.includes(pid))]
  const all = `0-${cores - 1}`
  const restore = () => {
    for (const pid of [...serverPids, ...agentSide]) {
      try {
        setAffinity(pid, all)
      } catch {
        // gone already (a killed server)
      }
    }
  }
  if (cores < 2) return { apart: false, restore: () => {} }
  try {
    for (const pid of serverPids) setAffinity(pid, String(cores - 1))
    for (const pid of agentSide) setAffinity(pid, cores === 2 ? '0' : `0-${cores - 2}`)
    return { apart: true, restore }
  } catch {
    restore()
    return { apart: false, restore: () => {} }
  }
}
