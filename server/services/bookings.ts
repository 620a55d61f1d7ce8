// The booking rules of a space, in one place. Checked on create and on move; the overlap
// check runs inside a transaction that first bumps the machine's bookingLock: on
// PostgreSQL that row lock queues concurrent bookings of one machine, on SQLite the write
// takes the database's single writer lock, so two overlapping requests can never both pass.
import type { Db } from '../db/client.js'
import type { Booking, Machine, Membership, Space } from '../db/generated/sqlite/client.js'
import { Prisma } from '../db/generated/sqlite/client.js'
import { AppError } from '../lib/errors.js'
import { localDayStart, type OpeningHours, withinOpeningHours } from '../lib/time.js'

/** The longest a booking may last (a machine's maxBookingMinutes is capped by it). */
export const longestBookingMinutes = 7 * 24 * 60

/** Statuses that hold a slot. */
export const activeStatuses = ['confirmed', 'checked_in']

export interface BookingDraft {
  space: Space
  machine: Machine & { trainings: { training: { id: string; slug: string } }[] }
  member: Membership
  start: Date
  end: Date
  /** Staff book for anyone: the member's trainings are not required. */
  byStaff: boolean
  now: Date
  /** The booking being moved, which does not conflict with itself. */
  bookingId?: string
}

export async function checkBookingRules(db: Db, d: BookingDraft): Promise<void> {
  const { space, machine, member, start, end, now } = d
  if (end.getTime() <= start.getTime()) throw new AppError(422, 'BOOKING_INVALID_RANGE')
  if (machine.status !== 'available') {
    throw new AppError(
      409,
      'MACHINE_OUT_OF_SERVICE',
      `${machine.name} is ${machine.status === 'to_check' ? 'waiting for a check' : 'out of service'}`,
    )
  }
  if (member.suspended) throw new AppError(403, 'MEMBER_SUSPENDED')
  if (start.getTime() < now.getTime() - 60_000) throw new AppError(422, 'BOOKING_IN_PAST')
  if (start.getTime() < now.getTime() + machine.minNoticeMinutes * 60_000) {
    throw new AppError(
      422,
      'BOOKING_TOO_SOON',
      `${machine.name} must be booked at least ${machine.minNoticeMinutes} minutes ahead`,
    )
  }
  // "N days ahead" counts local calendar days: the window closes at the end of the Nth local day.
  const windowEnd = localDayStart(now, space.timeZone, space.bookingWindowDays + 1)
  if (start.getTime() >= windowEnd.getTime()) {
    throw new AppError(422, 'BOOKING_TOO_FAR_AHEAD', `bookings open ${space.bookingWindowDays} days ahead`, {
      windowEnd: windowEnd.toISOString(),
    })
  }
  const minutes = (end.getTime() - start.getTime()) / 60_000
  if (minutes > machine.maxBookingMinutes) {
    throw new AppError(
      422,
      'BOOKING_TOO_LONG',
      `${machine.name} may be booked for ${machine.maxBookingMinutes} minutes at most`,
    )
  }
  const hours = (space.settings as { openingHours?: OpeningHours } | null)?.openingHours
  if (hours && !withinOpeningHours(start, end, hours, space.timeZone)) {
    throw new AppError(422, 'OUTSIDE_OPENING_HOURS', undefined, { openingHours: hours, timeZone: space.timeZone })
  }
  if (!d.byStaff && machine.trainings.length) {
    const grants = await db.trainingGrant.findMany({
      where: { membershipId: member.id, trainingId: { in: machine.trainings.map((t) => t.training.id) } },
    })
    // A training must still be valid when the slot ends, not just today.
    const valid = new Set(
      grants.filter((g) => !g.expiresAt || g.expiresAt.getTime() >= end.getTime()).map((g) => g.trainingId),
    )
    const missing = machine.trainings.filter((t) => !valid.has(t.training.id)).map((t) => t.training.slug)
    if (missing.length) {
      throw new AppError(403, 'TRAINING_REQUIRED', `${machine.name} requires the training ${missing.join(', ')}`, {
        missing,
      })
    }
  }
}

/** Creates or moves a booking atomically; throws BOOKING_CONFLICT on overlap. */
export async function saveBooking(
  db: Db,
  d: BookingDraft,
  data: { createdById?: string; note?: string },
): Promise<Booking> {
  return db.$transaction(
    async (tx) => {
      await tx.machine.update({ where: { id: d.machine.id }, data: { bookingLock: { increment: 1 } } })
      const clash = await tx.booking.findFirst({
        where: {
          machineId: d.machine.id,
          status: { in: activeStatuses },
          start: { lt: d.end },
          end: { gt: d.start },
          ...(d.bookingId ? { id: { not: d.bookingId } } : {}),
        },
      })
      if (clash) {
        throw new AppError(
          409,
          'BOOKING_CONFLICT',
          `${d.machine.name} is already booked from ${clash.start.toISOString()} to ${clash.end.toISOString()}`,
          {
            conflict: { start: clash.start.toISOString(), end: clash.end.toISOString() },
          },
        )
      }
      if (d.bookingId) {
        return tx.booking.update({ where: { id: d.bookingId }, data: { start: d.start, end: d.end, note: data.note } })
      }
      return tx.booking.create({
        data: {
          spaceId: d.space.id,
          machineId: d.machine.id,
          membershipId: d.member.id,
          start: d.start,
          end: d.end,
          createdById: data.createdById,
          note: data.note,
        },
      })
    },
    // Many requests may queue on one machine: wait for the lock rather than fail.
    { maxWait: 15_000, timeout: 15_000 },
  )
}

/** A booking as lists show it. */
export interface ListedBooking {
  id: string
  start: Date
  end: Date
  status: string
  note: string | null
  membershipId: string
  machine: { slug: string }
  member: { id: string; person: { name: string; email: string } }
}

/**
 * The bookings of a space in a time range, for the planning: one SQL query that reads only
 * what a booking shows (the same on SQLite and PostgreSQL: quoted Prisma names, bound values).
 * A week of 50 busy machines is thousands of rows; Prisma's nested reads took 3× longer.
 * The lower bound on start keeps the index range to the week, not the space's whole past.
 */
export async function listBookings(
  db: Db,
  f: { spaceId: string; machine?: string; membershipId?: string; from?: Date; to?: Date; includeCancelled?: boolean },
): Promise<ListedBooking[]> {
  const { sql, empty } = Prisma
  const statuses = ['confirmed', 'checked_in', 'no_show']
  const rows = await db.$queryRaw<
    {
      id: string
      start: Date | string
      end: Date | string
      status: string
      note: string | null
      membershipId: string
      machine: string
      name: string
      email: string
    }[]
  >(sql`SELECT b."id", b."start", b."end", b."status", b."note", b."membershipId", m."slug" AS "machine", p."name", p."email"
    FROM "Booking" b
    JOIN "Machine" m ON m."id" = b."machineId"
    JOIN "Membership" ms ON ms."id" = b."membershipId"
    JOIN "Person" p ON p."id" = ms."personId"
    WHERE b."spaceId" = ${f.spaceId}
    ${f.machine ? sql`AND m."slug" = ${f.machine}` : empty}
    ${f.membershipId ? sql`AND b."membershipId" = ${f.membershipId}` : empty}
    ${f.includeCancelled ? empty : sql`AND b."status" IN (${Prisma.join(statuses)})`}
    ${f.from ? sql`AND b."end" > ${f.from} AND b."start" > ${new Date(f.from.getTime() - longestBookingMinutes * 60_000)}` : empty}
    ${f.to ? sql`AND b."start" < ${f.to}` : empty}
    ORDER BY b."start" ASC, b."id" ASC
    LIMIT 5000`)
  return rows.map((r) => ({
    id: r.id,
    start: new Date(r.start),
    end: new Date(r.end),
    status: r.status,
    note: r.note,
    membershipId: r.membershipId,
    machine: { slug: r.machine },
    member: { id: r.membershipId, person: { name: r.name, email: r.email } },
  }))
}
