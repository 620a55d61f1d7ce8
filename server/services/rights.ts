// Rights snapshots: what an agent needs to decide taps on its machines alone, offline.
// A snapshot is rebuilt from the database whenever something may have changed; its
// version goes up only when its content (hash) changed, so agents fetch nothing twice.
// Nothing is kept in memory that another server instance would need.
import { createHash } from 'node:crypto'
import type { RightsContent, RightsSnapshot } from '../../protocol/rights.js'
import type { Db } from '../db/client.js'
import { activeStatuses } from './bookings.js'

/** Bookings this far back and ahead travel in the snapshot (refreshed as time passes). */
const BOOKINGS_BEHIND_MS = 12 * 3_600_000
const BOOKINGS_AHEAD_MS = 48 * 3_600_000

/** How long an agent may decide from a snapshot without hearing from the server. */
export type { RightsSnapshot }
export const RIGHTS_TTL_MS = 24 * 3_600_000

async function buildContent(db: Db, agentId: string, now: Date): Promise<RightsContent> {
  const agent = await db.agent.findUniqueOrThrow({
    where: { id: agentId },
    include: {
      space: true,
      machines: { include: { trainings: { include: { training: true } } }, orderBy: { slug: 'asc' } },
    },
  })
  const members = await db.membership.findMany({
    where: { spaceId: agent.spaceId, badges: { some: { active: true } } },
    include: { person: true, badges: { where: { active: true } }, trainings: { include: { training: true } } },
    orderBy: { id: 'asc' },
  })
  const bookings = await db.booking.findMany({
    where: {
      machineId: { in: agent.machines.map((m) => m.id) },
      status: { in: activeStatuses },
      end: { gt: new Date(now.getTime() - BOOKINGS_BEHIND_MS) },
      start: { lt: new Date(now.getTime() + BOOKINGS_AHEAD_MS) },
    },
    include: { machine: true },
    orderBy: [{ start: 'asc' }, { id: 'asc' }],
  })
  const s = agent.space
  return {
    space: {
      slug: s.slug,
      timeZone: s.timeZone,
      checkInMinutes: s.checkInMinutes,
      noShowGraceMinutes: s.noShowGraceMinutes,
      requireCredit: s.requireCredit,
      minCreditCents: s.minCreditCents,
    },
    machines: agent.machines.map((m) => ({
      slug: m.slug,
      status: m.status,
      requiredTrainings: m.trainings.map((t) => t.training.slug).sort(),
      walkInAllowed: m.walkInAllowed,
      cutPolicy: m.cutPolicy,
      idleThresholdWatts: m.idleThresholdWatts,
      maxSessionMinutes: m.maxSessionMinutes,
    })),
    members: members.map((m) => ({
      id: m.id,
      name: m.person.name,
      role: m.role,
      suspended: m.suspended,
      // Only a space that requires prepaid credit decides on it: elsewhere every session's
      // debit would send every agent a new snapshot for nothing.
      creditCents: s.requireCredit ? m.creditCents : 0,
      trainings: m.trainings
        .map((g) => ({ slug: g.training.slug, expiresAt: g.expiresAt?.toISOString() ?? null }))
        .sort((a, b) => a.slug.localeCompare(b.slug)),
      badges: m.badges.map((b) => b.uid).sort(),
    })),
    bookings: bookings.map((b) => ({
      id: b.id,
      machine: b.machine.slug,
      memberId: b.membershipId,
      start: b.start.toISOString(),
      end: b.end.toISOString(),
      status: b.status,
    })),
  }
}

const hashOf = (content: RightsContent) => createHash('sha256').update(JSON.stringify(content)).digest('hex')

/**
 * The agent's current snapshot. Bumps the stored version when the content changed; the
 * conditional update makes concurrent callers (several server instances) agree.
 */
export async function currentRights(db: Db, agentId: string, now = new Date()): Promise<RightsSnapshot> {
  const content = await buildContent(db, agentId, now)
  const hash = hashOf(content)
  for (;;) {
    const agent = await db.agent.findUniqueOrThrow({ where: { id: agentId } })
    let version = agent.rightsVersion
    if (agent.rightsHash !== hash) {
      const { count } = await db.agent.updateMany({
        where: { id: agentId, rightsVersion: agent.rightsVersion },
        data: { rightsVersion: agent.rightsVersion + 1, rightsHash: hash },
      })
      if (!count) continue // another instance bumped it meanwhile: look again
      version = agent.rightsVersion + 1
    }
    return {
      version,
      hash,
      generatedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + RIGHTS_TTL_MS).toISOString(),
      ...content,
    }
  }
}
