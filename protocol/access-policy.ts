// The access decision: one pure function, used by the agent for every tap (offline too).
// A tap of badge B on machine M at time t gives exactly one decision with its reason,
// following ../shared/DESIGN.md "Access rules" in order. Default is deny.
import type { RightsIndex, SnapshotMember } from './rights.js'

export type DenyReason =
  | 'unknown_badge'
  | 'member_suspended'
  | 'unknown_machine'
  | 'machine_out_of_service'
  | 'snapshot_expired'
  | 'training_missing'
  | 'training_expired'
  | 'slot_booked_by_other'
  | 'walk_in_not_allowed'
  | 'next_booking_too_close'
  | 'machine_in_use'
  | 'credit_too_low'
  | 'device_fault'
export type GrantReason = 'staff_override' | 'booking_holder' | 'no_show_released' | 'walk_in'

export type Decision =
  | {
      decision: 'granted'
      reason: GrantReason
      memberId: string
      memberName: string
      bookingId?: string
      until: number | null
    }
  | {
      decision: 'denied'
      reason: DenyReason
      memberId?: string
      memberName?: string
      training?: string
      until?: undefined
    }

export interface Tap {
  badgeUid: string
  machine: string
  /** ms since epoch */
  at: number
  /** The member currently holding a session on this machine, if any. */
  activeSessionMemberId?: string | null
  /** A device of this machine is in fault. */
  deviceFault?: boolean
}

const isStaff = (m: SnapshotMember) => m.role === 'staff' || m.role === 'admin'
/** Walk-ins shorter than this before the next booking are refused. */
export const MIN_WALK_IN_MS = 5 * 60_000

export function decide(index: RightsIndex, tap: Tap): Decision {
  const member = index.byBadge.get(tap.badgeUid.toUpperCase())
  // 1. Unknown or revoked badge (revoked badges are not in the snapshot), suspended member.
  if (!member) return { decision: 'denied', reason: 'unknown_badge' }
  const who = { memberId: member.id, memberName: member.name }
  if (member.suspended) return { decision: 'denied', reason: 'member_suspended', ...who }
  const machine = index.machines.get(tap.machine)
  if (!machine) return { decision: 'denied', reason: 'unknown_machine', ...who }
  if (tap.deviceFault) return { decision: 'denied', reason: 'device_fault', ...who }
  const staff = isStaff(member)
  // 3. Staff override everything below (also an expired snapshot: the workshop must stay usable).
  if (staff) return { decision: 'granted', reason: 'staff_override', ...who, until: null }
  // An agent cut off from the server for too long trusts only staff.
  if (tap.at >= index.expiresAt) return { decision: 'denied', reason: 'snapshot_expired', ...who }
  // 2. Out of service; "to check" also keeps makers away until staff have looked at it.
  if (machine.status !== 'available') return { decision: 'denied', reason: 'machine_out_of_service', ...who }
  // 4. Trainings.
  for (const slug of machine.requiredTrainings) {
    const grant = member.trainings.find((t) => t.slug === slug)
    if (!grant) return { decision: 'denied', reason: 'training_missing', training: slug, ...who }
    if (grant.expiresAt && Date.parse(grant.expiresAt) <= tap.at)
      return { decision: 'denied', reason: 'training_expired', training: slug, ...who }
  }
  // 7. Someone else's session is running.
  if (tap.activeSessionMemberId && tap.activeSessionMemberId !== member.id)
    return { decision: 'denied', reason: 'machine_in_use', ...who }
  // 8. Prepaid credit.
  const { space } = index.snapshot
  if (space.requireCredit && member.creditCents < space.minCreditCents)
    return { decision: 'denied', reason: 'credit_too_low', ...who }
  // 5. A booking covering t (check-in opens checkInMinutes before its start).
  const bookings = index.bookings.get(machine.slug) ?? []
  const checkInMs = space.checkInMinutes * 60_000
  const current = bookings.find((b) => b.startMs - checkInMs <= tap.at && tap.at < b.endMs)
  if (current) {
    if (current.memberId === member.id)
      return { decision: 'granted', reason: 'booking_holder', ...who, bookingId: current.id, until: current.endMs }
    const noShow = current.status !== 'checked_in' && tap.at >= current.startMs + space.noShowGraceMinutes * 60_000
    if (!noShow) return { decision: 'denied', reason: 'slot_booked_by_other', ...who }
    return { decision: 'granted', reason: 'no_show_released', ...who, until: nextStart(bookings, tap.at, current.id) }
  }
  // 6. Walk-in, until the next booking starts.
  if (!machine.walkInAllowed) return { decision: 'denied', reason: 'walk_in_not_allowed', ...who }
  const until = nextStart(bookings, tap.at)
  if (until !== null && until - tap.at < MIN_WALK_IN_MS)
    return { decision: 'denied', reason: 'next_booking_too_close', ...who }
  return { decision: 'granted', reason: 'walk_in', ...who, until }
}

function nextStart(bookings: { id: string; startMs: number }[], at: number, except?: string): number | null {
  return bookings.find((b) => b.startMs > at && b.id !== except)?.startMs ?? null
}
