// The booking rules of a space, in one place. Checked on create and on move; the overlap
// check runs inside a transaction that first bumps the machine's bookingLock: on
// PostgreSQL that row lock queues concurrent bookings of one machine, on SQLite the write
// takes the database's single writer lock, so two overlapping requests can never both pass.
import { randomUUID } from 'node:crypto'
import { type Db, isPostgres } from '../db/client.js'
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
  machine: Machine
  member: Membership
  start: Date
  end: Date
  /** Staff book for anyone: the member's trainings are not required. */
  byStaff: boolean
  now: Date
  /** The booking being moved, which does not conflict with itself. */
  moving?: Booking
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
  if (!d.byStaff) {
    const missing = await missingTrainings(db, machine.id, member.id, end)
    if (missing.length) {
      throw new AppError(403, 'TRAINING_REQUIRED', `${machine.name} requires the training ${missing.join(', ')}`, {
        missing,
      })
    }
  }
}

/**
 * The trainings the machine requires that the member will not hold until the slot ends
 * (a training must still be valid when the slot ends, not just today): one query.
 */
async function missingTrainings(db: Db, machineId: string, membershipId: string, end: Date): Promise<string[]> {
  const rows = await db.$queryRaw<{ slug: string; grantId: string | null; expiresAt: Date | string | null }[]>`
    SELECT t."slug", g."id" AS "grantId", g."expiresAt"
    FROM "MachineTraining" mt
    JOIN "Training" t ON t."id" = mt."trainingId"
    LEFT JOIN "TrainingGrant" g ON g."trainingId" = mt."trainingId" AND g."membershipId" = ${membershipId}
    WHERE mt."machineId" = ${machineId}
    ORDER BY t."slug"`
  const valid = (r: (typeof rows)[number]) =>
    r.grantId !== null && (r.expiresAt === null || new Date(r.expiresAt).getTime() >= end.getTime())
  return rows.filter((r) => !valid(r)).map((r) => r.slug)
}

/**
 * Creates or moves a booking atomically; throws BOOKING_CONFLICT on overlap. One transaction
 * of two statements: the bump of the machine's bookingLock (on PostgreSQL a row lock that
 * queues concurrent bookings of the machine, on SQLite the database's single writer lock),
 * then the write, made only where no active booking overlaps. The second statement starts
 * once the lock is held, so it sees every booking committed before (PostgreSQL takes a
 * snapshot per statement): two overlapping requests can never both pass. On PostgreSQL
 * both run in the procedure `save_booking` (migration 20261202140000_save_booking), whose
 * overlap test is this one's twin: one round trip instead of four.
 */
export async function saveBooking(
  db: Db,
  d: BookingDraft,
  data: { createdById?: string; note?: string },
): Promise<Booking> {
  const now = new Date()
  const saved: Booking = d.moving
    ? {
        ...d.moving,
        start: d.start,
        end: d.end,
        note: data.note === undefined ? d.moving.note : data.note,
        updatedAt: now,
      }
    : {
        id: randomUUID(),
        spaceId: d.space.id,
        machineId: d.machine.id,
        membershipId: d.member.id,
        start: d.start,
        end: d.end,
        status: 'confirmed',
        note: data.note ?? null,
        createdById: data.createdById ?? null,
        createdAt: now,
        updatedAt: now,
        noShowFeeCents: null,
        invoiceId: null,
      }
  const moving = Boolean(d.moving)
  const written = isPostgres(db) ? await saveOnPostgres(db, saved, moving) : await saveOnSqlite(db, saved, moving)
  if (written === 1) return saved
  // The slot was taken: say by what, as far as it is still there.
  const clash = await db.booking.findFirst({
    where: {
      machineId: d.machine.id,
      status: { in: activeStatuses },
      start: { lt: d.end },
      end: { gt: d.start },
      id: { not: saved.id },
    },
  })
  throw new AppError(
    409,
    'BOOKING_CONFLICT',
    clash
      ? `${d.machine.name} is already booked from ${clash.start.toISOString()} to ${clash.end.toISOString()}`
      : `${d.machine.name} was just booked for this slot`,
    clash ? { conflict: { start: clash.start.toISOString(), end: clash.end.toISOString() } } : undefined,
  )
}

/** saveBooking's two statements in one transaction; the rows written (0: the slot was taken). */
async function saveOnSqlite(db: Db, b: Booking, moving: boolean): Promise<number> {
  // The booking itself never conflicts (a new one's id matches no row).
  const free = Prisma.sql`NOT EXISTS (SELECT 1 FROM "Booking" o
    WHERE o."machineId" = ${b.machineId} AND o."status" IN (${Prisma.join(activeStatuses)})
    AND o."start" < ${b.end} AND o."end" > ${b.start} AND o."id" <> ${b.id})`
  const write = moving
    ? db.$executeRaw`UPDATE "Booking" SET "start" = ${b.start}, "end" = ${b.end}, "note" = ${b.note},
      "updatedAt" = ${b.updatedAt} WHERE "id" = ${b.id} AND ${free}`
    : db.$executeRaw`INSERT INTO "Booking" ("id", "spaceId", "machineId", "membershipId", "start", "end",
      "status", "note", "createdById", "createdAt", "updatedAt")
      SELECT ${b.id}, ${b.spaceId}, ${b.machineId}, ${b.membershipId}, ${b.start}, ${b.end},
      ${b.status}, ${b.note}, ${b.createdById}, ${b.createdAt}, ${b.updatedAt} WHERE ${free}`
  const [, written] = await db.$transaction([
    db.$executeRaw`UPDATE "Machine" SET "bookingLock" = "bookingLock" + 1 WHERE "id" = ${b.machineId}`,
    write,
  ])
  return written
}

/** saveBooking's two statements in PostgreSQL's procedure; the rows written (0: the slot was taken). */
async function saveOnPostgres(db: Db, b: Booking, moving: boolean): Promise<number> {
  const [row] = await db.$queryRaw<{ written: number }[]>`CALL "save_booking"(${b.id}, ${b.spaceId}, ${b.machineId},
    ${b.membershipId}, ${b.start}, ${b.end}, ${b.note}, ${b.createdById}, ${b.updatedAt}, ${moving},
    ${activeStatuses}, NULL)`
  return row!.written
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
