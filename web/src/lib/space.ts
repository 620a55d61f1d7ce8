// What every screen of a space needs: the space, my role in it, its machines (kept live)
// and trainings, with names for slugs.
import { createContext, useContext } from 'react'
import type { Machine, Me, Membership, Role, Training } from './types'

export interface SpaceState {
  me: Me
  membership: Membership
  slug: string
  name: string
  timeZone: string
  role: Role
  isStaff: boolean
  isTrainer: boolean
  machines: Machine[]
  trainings: Training[]
  reloadMachines: () => void
  machineName: (slug: string) => string
  trainingName: (slug: string) => string
  machineTrainings: (slug: string) => string[]
}

export const SpaceContext = createContext<SpaceState | null>(null)

export function useSpace(): SpaceState {
  const space = useContext(SpaceContext)
  if (!space) throw new Error('useSpace outside a space')
  return space
}

const rank: Record<Role, number> = { maker: 0, trainer: 1, staff: 2, admin: 3 }
export const atLeast = (role: string, min: Role) => (rank[role as Role] ?? -1) >= rank[min]

/** Applies a live machine.state push to the list (state null: only the watts changed). */
export function applyMachineState(
  machines: Machine[],
  p: { machine: string; state: string | null; since?: string; at?: string; watts?: number | null },
): Machine[] {
  return machines.map((m) => {
    if (m.slug !== p.machine) return m
    const state = p.state ?? m.live.state
    const changed = state !== m.live.state
    return {
      ...m,
      live: {
        state,
        since: changed ? (p.since ?? p.at ?? m.live.since) : (m.live.since ?? p.since ?? null),
        watts: p.watts !== undefined && p.watts !== null ? p.watts : state === 'offline' ? null : m.live.watts,
        member: state === 'in_use' ? m.live.member : null,
      },
    }
  })
}
