// The access rules of ../shared/DESIGN.md, rule by rule.
import { describe, expect, it } from 'vitest'
import { decide, type Tap } from '../../protocol/access-policy.js'
import { indexRights, type RightsSnapshot } from '../../protocol/rights.js'
import { laserCutter, maker, testSnapshot } from '../helpers/rights.js'

const T0 = Date.parse('2026-11-23T10:00:00Z')
const min = 60_000

function snapshot(patch: Partial<RightsSnapshot> = {}): RightsSnapshot {
  return testSnapshot(
    {
      machines: [
        laserCutter,
        {
          slug: 'cnc-1',
          status: 'out_of_service',
          requiredTrainings: [],
          walkInAllowed: true,
          cutPolicy: 'immediate',
          idleThresholdWatts: null,
          maxSessionMinutes: null,
        },
        {
          slug: 'printer-1',
          status: 'available',
          requiredTrainings: [],
          walkInAllowed: false,
          cutPolicy: 'when_idle',
          idleThresholdWatts: 15,
          maxSessionMinutes: null,
        },
      ],
      members: [
        {
          id: 'staff',
          name: 'Sam',
          role: 'staff',
          suspended: false,
          creditCents: 0,
          trainings: [],
          badges: ['0F00AA0001'],
        },
        maker('alice', 'Alice', '0A0012AB34', { creditCents: 500, trainings: [{ slug: 'laser', expiresAt: null }] }),
        maker('bob', 'Bob', '0B0056CD78'),
        {
          id: 'carla',
          name: 'Carla',
          role: 'maker',
          suspended: false,
          creditCents: 0,
          trainings: [{ slug: 'laser', expiresAt: new Date(T0 - min).toISOString() }],
          badges: ['0C0000000C'],
        },
        {
          id: 'dan',
          name: 'Dan',
          role: 'maker',
          suspended: true,
          creditCents: 0,
          trainings: [{ slug: 'laser', expiresAt: null }],
          badges: ['0D0000000D'],
        },
        {
          id: 'eve',
          name: 'Eve',
          role: 'maker',
          suspended: false,
          creditCents: 0,
          trainings: [{ slug: 'laser', expiresAt: null }],
          badges: ['0E0000000E'],
        },
      ],
      ...patch,
    },
    T0,
  )
}
const tap = (badgeUid: string, machine = 'laser-1', at = T0, extra: Partial<Tap> = {}): Tap => ({
  badgeUid,
  machine,
  at,
  ...extra,
})
const booking = (
  memberId: string,
  startMin: number,
  endMin: number,
  status = 'confirmed',
  id = `b-${memberId}-${startMin}`,
) => ({
  id,
  machine: 'laser-1',
  memberId,
  start: new Date(T0 + startMin * min).toISOString(),
  end: new Date(T0 + endMin * min).toISOString(),
  status,
})

describe('access rules', () => {
  const plain = indexRights(snapshot())

  it('1. denies an unknown or revoked badge, and a suspended member', () => {
    expect(decide(plain, tap('FFFFFFFFFF'))).toMatchObject({ decision: 'denied', reason: 'unknown_badge' })
    expect(decide(plain, tap('0D0000000D'))).toMatchObject({
      decision: 'denied',
      reason: 'member_suspended',
      memberId: 'dan',
    })
  })

  it('reads badge UIDs case-insensitively', () => {
    expect(decide(plain, tap('0a0012ab34'))).toMatchObject({ decision: 'granted', memberId: 'alice' })
  })

  it('2. denies an out-of-service machine except to staff (3. staff override)', () => {
    expect(decide(plain, tap('0A0012AB34', 'cnc-1'))).toMatchObject({
      decision: 'denied',
      reason: 'machine_out_of_service',
    })
    expect(decide(plain, tap('0F00AA0001', 'cnc-1'))).toMatchObject({
      decision: 'granted',
      reason: 'staff_override',
      until: null,
    })
    const toCheck = indexRights(
      snapshot({ machines: snapshot().machines.map((m) => (m.slug === 'laser-1' ? { ...m, status: 'to_check' } : m)) }),
    )
    expect(decide(toCheck, tap('0A0012AB34'))).toMatchObject({ decision: 'denied', reason: 'machine_out_of_service' })
  })

  it('4. denies a missing or expired training, naming it', () => {
    expect(decide(plain, tap('0B0056CD78'))).toMatchObject({
      decision: 'denied',
      reason: 'training_missing',
      training: 'laser',
      memberName: 'Bob',
    })
    expect(decide(plain, tap('0C0000000C'))).toMatchObject({
      decision: 'denied',
      reason: 'training_expired',
      training: 'laser',
    })
    expect(decide(plain, tap('0F00AA0001'))).toMatchObject({ decision: 'granted', reason: 'staff_override' })
  })

  it('5. gives a booked slot to its holder from the check-in window, to no one else', () => {
    const idx = indexRights(snapshot({ bookings: [booking('alice', 5, 65)] }))
    expect(decide(idx, tap('0A0012AB34', 'laser-1', T0 - 6 * min))).toMatchObject({
      decision: 'granted',
      reason: 'walk_in',
      until: T0 + 5 * min,
    })
    expect(decide(idx, tap('0A0012AB34', 'laser-1', T0 - 4 * min))).toMatchObject({
      decision: 'granted',
      reason: 'booking_holder',
      bookingId: 'b-alice-5',
      until: T0 + 65 * min,
    })
    expect(decide(idx, tap('0E0000000E', 'laser-1', T0 + 10 * min))).toMatchObject({
      decision: 'denied',
      reason: 'slot_booked_by_other',
    })
  })

  it('5. releases the slot of a holder who has not shown up within the grace', () => {
    const idx = indexRights(snapshot({ bookings: [booking('alice', 0, 60), booking('bob', 120, 180)] }))
    expect(decide(idx, tap('0E0000000E', 'laser-1', T0 + 14 * min))).toMatchObject({ reason: 'slot_booked_by_other' })
    expect(decide(idx, tap('0E0000000E', 'laser-1', T0 + 15 * min))).toMatchObject({
      decision: 'granted',
      reason: 'no_show_released',
      until: T0 + 120 * min,
    })
    const checkedIn = indexRights(snapshot({ bookings: [booking('alice', 0, 60, 'checked_in')] }))
    expect(decide(checkedIn, tap('0E0000000E', 'laser-1', T0 + 30 * min))).toMatchObject({
      reason: 'slot_booked_by_other',
    })
  })

  it('6. allows a walk-in until the next booking, if the machine allows walk-ins', () => {
    const idx = indexRights(snapshot({ bookings: [booking('bob', 90, 120)] }))
    expect(decide(idx, tap('0A0012AB34'))).toMatchObject({
      decision: 'granted',
      reason: 'walk_in',
      until: T0 + 90 * min,
    })
    expect(decide(plain, tap('0A0012AB34'))).toMatchObject({ decision: 'granted', reason: 'walk_in', until: null })
    expect(decide(idx, tap('0A0012AB34', 'laser-1', T0 + 87 * min))).toMatchObject({
      decision: 'denied',
      reason: 'slot_booked_by_other',
    })
    // With no check-in window, a walk-in of a few minutes before a booking is not worth starting.
    const noCheckIn = indexRights(
      snapshot({ bookings: [booking('bob', 90, 120)], space: { ...snapshot().space, checkInMinutes: 0 } }),
    )
    expect(decide(noCheckIn, tap('0A0012AB34', 'laser-1', T0 + 87 * min))).toMatchObject({
      decision: 'denied',
      reason: 'next_booking_too_close',
    })
    expect(decide(plain, tap('0A0012AB34', 'printer-1'))).toMatchObject({
      decision: 'denied',
      reason: 'walk_in_not_allowed',
    })
  })

  it('7. denies a machine in use by another member, except to staff', () => {
    expect(decide(plain, tap('0A0012AB34', 'laser-1', T0, { activeSessionMemberId: 'eve' }))).toMatchObject({
      reason: 'machine_in_use',
    })
    expect(decide(plain, tap('0A0012AB34', 'laser-1', T0, { activeSessionMemberId: 'alice' }))).toMatchObject({
      decision: 'granted',
    })
    expect(decide(plain, tap('0F00AA0001', 'laser-1', T0, { activeSessionMemberId: 'eve' }))).toMatchObject({
      reason: 'staff_override',
    })
  })

  it('8. denies a member below the prepaid minimum where the space requires credit', () => {
    const idx = indexRights(snapshot({ space: { ...snapshot().space, requireCredit: true, minCreditCents: 300 } }))
    expect(decide(idx, tap('0E0000000E'))).toMatchObject({ decision: 'denied', reason: 'credit_too_low' })
    expect(decide(idx, tap('0A0012AB34'))).toMatchObject({ decision: 'granted' })
  })

  it('trusts only staff once the snapshot has expired', () => {
    const later = T0 + 86_400_000
    expect(decide(plain, tap('0A0012AB34', 'laser-1', later))).toMatchObject({
      decision: 'denied',
      reason: 'snapshot_expired',
    })
    expect(decide(plain, tap('0F00AA0001', 'laser-1', later))).toMatchObject({
      decision: 'granted',
      reason: 'staff_override',
    })
  })

  it('denies everyone, staff too, while a device of the machine is in fault', () => {
    expect(decide(plain, tap('0A0012AB34', 'laser-1', T0, { deviceFault: true }))).toMatchObject({
      reason: 'device_fault',
    })
    expect(decide(plain, tap('0F00AA0001', 'laser-1', T0, { deviceFault: true }))).toMatchObject({
      reason: 'device_fault',
    })
  })
})
