// Rights snapshots for tests: valid, with the demo space's rules, and nothing else unless
// the test puts it there.
import type { RightsSnapshot } from '../../protocol/rights.js'

/** The demo space's access settings, as its agents receive them. */
export const demoSpaceRules: RightsSnapshot['space'] = {
  slug: 'demo',
  timeZone: 'Europe/Paris',
  checkInMinutes: 10,
  noShowGraceMinutes: 15,
  requireCredit: false,
  minCreditCents: 0,
}

/** A snapshot generated an hour before `at` and valid a day after it, with `parts` in it. */
export function testSnapshot(parts: Partial<RightsSnapshot> = {}, at = Date.now()): RightsSnapshot {
  return {
    version: 1,
    hash: 'h',
    generatedAt: new Date(at - 3_600_000).toISOString(),
    expiresAt: new Date(at + 86_400_000).toISOString(),
    space: demoSpaceRules,
    machines: [],
    members: [],
    bookings: [],
    ...parts,
  }
}

/** laser-1 as the demo space has it: the laser training required, cut once idle under 40 W. */
export const laserCutter: RightsSnapshot['machines'][number] = {
  slug: 'laser-1',
  status: 'available',
  requiredTrainings: ['laser'],
  walkInAllowed: true,
  cutPolicy: 'when_idle',
  idleThresholdWatts: 40,
  maxSessionMinutes: null,
}

/** A maker in good standing with one badge; `patch` adds trainings, credit… */
export function maker(
  id: string,
  name: string,
  badge: string,
  patch: Partial<RightsSnapshot['members'][number]> = {},
): RightsSnapshot['members'][number] {
  return { id, name, role: 'maker', suspended: false, creditCents: 0, trainings: [], badges: [badge], ...patch }
}
