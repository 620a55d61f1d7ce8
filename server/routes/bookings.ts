import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { type Db, hotRows } from '../db/client.js'
import { type Booking, type Machine, type Membership, type Person, Prisma } from '../db/generated/sqlite/client.js'
import { AppError, forbidden, notFound } from '../lib/errors.js'
import { checkBookingRules, type ListedBooking, listBookings, saveBooking } from '../services/bookings.js'
import {
  chooseEncoding,
  encodeAnswer,
  PlanningCache,
  planningEtag,
  planningVersion,
} from '../services/planning-cache.js'
import { audit, findMember, type SpaceContext, spaceContext } from '../services/space-access.js'
import { errorResponses, Id, IsoDateTime, Slug, SpaceParams, toDate } from './schemas.js'

const BookingOut = Type.Object({
  id: Type.String(),
  machine: Type.String(),
  start: Type.String(),
  end: Type.String(),
  status: Type.String(),
  mine: Type.Boolean(),
  /** Shown to staff and to the holder; null for other makers (the slot is taken, by whom is private). */
  member: Type.Union([Type.Object({ id: Type.String(), name: Type.String(), email: Type.String() }), Type.Null()]),
  note: Type.Union([Type.String(), Type.Null()]),
})

type BookingRow = ListedBooking | (Booking & { machine: Machine; member: Membership & { person: Person } })

/** Pushed to every member of the space: the slot changed, not who holds it. */
const liveBooking = (b: BookingRow) => ({
  id: b.id,
  machine: b.machine.slug,
  start: b.start.toISOString(),
  end: b.end.toISOString(),
  status: b.status,
})

function bookingOut(b: BookingRow, ctx: SpaceContext) {
  const mine = b.membershipId === ctx.membership.id
  return {
    id: b.id,
    machine: b.machine.slug,
    start: b.start.toISOString(),
    end: b.end.toISOString(),
    status: b.status,
    mine,
    member: mine || ctx.isStaff ? { id: b.member.id, name: b.member.person.name, email: b.member.person.email } : null,
    note: mine || ctx.isStaff ? b.note : null,
  }
}

const include = { machine: true, member: { include: { person: true } } } as const

/** A saved booking with the machine and holder the route already read (no second read). */
const withParts = (
  booking: Booking,
  machine: { slug: string },
  member: { id: string; person: { name: string; email: string } },
): ListedBooking => ({ ...booking, machine, member })
const Conflict = { 409: Type.Ref('ErrorBody'), 422: Type.Ref('ErrorBody') }

/** The machine a booking is for: a hot read (through Prisma's query engine it cost ~6× the CPU, see hotRows). */
async function machineBySlug(db: Db, spaceId: string, slug: string): Promise<Machine> {
  const [machine] = await hotRows<Machine>(
    db,
    Prisma.sql`SELECT * FROM "Machine" WHERE "spaceId" = ${spaceId} AND "slug" = ${slug}`,
  )
  if (!machine) throw notFound(`machine "${slug}"`)
  return machine
}

async function ownBooking(db: Db, ctx: SpaceContext, id: string) {
  const booking = await db.booking.findFirst({ where: { id, spaceId: ctx.space.id }, include })
  if (!booking) throw notFound('booking')
  if (!ctx.isStaff && booking.membershipId !== ctx.membership.id)
    throw forbidden('you may change only your own bookings')
  if (booking.status !== 'confirmed') throw new AppError(409, 'BOOKING_NOT_ACTIVE', `this booking is ${booking.status}`)
  return booking
}

export const bookingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = app.db
  const planning = new PlanningCache()

  app.get(
    '/spaces/:space/bookings',
    {
      schema: {
        tags: ['bookings'],
        summary: 'Bookings overlapping [from, to), for the planning',
        params: SpaceParams,
        querystring: Type.Object(
          {
            machine: Type.Optional(Slug),
            member: Type.Optional(Type.String({ maxLength: 254 })),
            from: Type.Optional(IsoDateTime),
            to: Type.Optional(IsoDateTime),
            includeCancelled: Type.Optional(Type.Boolean({ default: false })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Array(BookingOut),
          304: Type.Null({ description: 'Unchanged since the ETag sent in If-None-Match' }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const ctx = await spaceContext(db, request, request.params.space)
      const { machine, member, from, to, includeCancelled } = request.query
      // Staff see every holder, makers their own: the viewer is part of the answer.
      const viewer = ctx.isStaff ? 'staff' : ctx.membership.id
      const key = JSON.stringify([ctx.space.id, viewer, machine, member, from, to, includeCancelled])
      const version = await planningVersion(db, ctx.space.id)
      const etag = planningEtag(key, version)
      void reply.header('cache-control', 'private, no-cache').header('etag', etag)
      if (request.headers['if-none-match'] === etag) return reply.status(304).send(null)
      let cached = true
      const answer = await planning.answer(key, version, async () => {
        cached = false
        const memberId = member ? (await findMember(db, ctx.space.id, member)).id : undefined
        const bookings = await listBookings(db, {
          spaceId: ctx.space.id,
          machine,
          membershipId: memberId,
          from: toDate(from),
          to: toDate(to),
          includeCancelled,
        })
        return encodeAnswer(reply.serialize(bookings.map((b) => bookingOut(b, ctx))) as string)
      })
      void reply
        .type('application/json; charset=utf-8')
        .header('vary', 'accept-encoding')
        .header('x-cache', cached ? 'hit' : 'miss') // for operators and the bench
      const encoding = chooseEncoding(request.headers['accept-encoding'])
      if (encoding !== 'json') void reply.header('content-encoding', encoding)
      return reply.send(answer[encoding])
    },
  )

  app.post(
    '/spaces/:space/bookings',
    {
      schema: {
        tags: ['bookings'],
        summary: 'Book a machine; staff may book for any member',
        params: SpaceParams,
        body: Type.Object(
          {
            machine: Slug,
            start: IsoDateTime,
            end: IsoDateTime,
            member: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 254,
                description: 'membership id, person id or email; default: me',
              }),
            ),
            note: Type.Optional(Type.String({ maxLength: 500 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: BookingOut, ...errorResponses, ...Conflict },
      },
    },
    async (request, reply) => {
      const ctx = await spaceContext(db, request, request.params.space)
      const { machine: slug, start, end, member: memberRef, note } = request.body
      // Me, as the caller already read: the holder's name and e-mail are the caller's.
      const member = memberRef
        ? await findMember(db, ctx.space.id, memberRef)
        : { ...ctx.membership, person: { name: ctx.caller.name, email: ctx.caller.email } }
      if (member.id !== ctx.membership.id && !ctx.isStaff) throw forbidden('only staff book for someone else')
      const draft = {
        space: ctx.space,
        machine: await machineBySlug(db, ctx.space.id, slug),
        member,
        start: new Date(start),
        end: new Date(end),
        byStaff: ctx.isStaff,
        now: new Date(),
      }
      await checkBookingRules(db, draft)
      request.rightsScope = { agentIds: draft.machine.agentId ? [draft.machine.agentId] : [] }
      const booking = await saveBooking(db, draft, { createdById: ctx.membership.id, note })
      if (member.id !== ctx.membership.id) await audit(db, ctx, 'booking.create-for', booking.id, { member: member.id })
      const created = withParts(booking, draft.machine, member)
      app.live.emit(ctx.space.id, 'booking.changed', liveBooking(created))
      return reply.status(201).send(bookingOut(created, ctx))
    },
  )

  app.patch(
    '/spaces/:space/bookings/:id',
    {
      schema: {
        tags: ['bookings'],
        summary: 'Move or resize a booking (its holder, or staff)',
        params: Type.Object({ space: Slug, id: Id }),
        body: Type.Object(
          {
            start: Type.Optional(IsoDateTime),
            end: Type.Optional(IsoDateTime),
            note: Type.Optional(Type.String({ maxLength: 500 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: BookingOut, ...errorResponses, ...Conflict },
      },
    },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space)
      const booking = await ownBooking(db, ctx, request.params.id)
      const draft = {
        space: ctx.space,
        machine: booking.machine,
        member: booking.member,
        start: request.body.start ? new Date(request.body.start) : booking.start,
        end: request.body.end ? new Date(request.body.end) : booking.end,
        byStaff: ctx.isStaff,
        now: new Date(),
        moving: booking,
      }
      await checkBookingRules(db, draft)
      request.rightsScope = { agentIds: draft.machine.agentId ? [draft.machine.agentId] : [] }
      const saved = await saveBooking(db, draft, { note: request.body.note })
      if (booking.membershipId !== ctx.membership.id) await audit(db, ctx, 'booking.move', booking.id, request.body)
      const moved = withParts(saved, booking.machine, booking.member)
      app.live.emit(ctx.space.id, 'booking.changed', liveBooking(moved))
      return bookingOut(moved, ctx)
    },
  )

  app.delete(
    '/spaces/:space/bookings/:id',
    {
      schema: {
        tags: ['bookings'],
        summary: 'Cancel a booking (its holder, or staff); the record stays with status cancelled',
        params: Type.Object({ space: Slug, id: Id }),
        response: { 200: BookingOut, ...errorResponses, 409: Type.Ref('ErrorBody') },
      },
    },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space)
      const booking = await ownBooking(db, ctx, request.params.id)
      request.rightsScope = { agentIds: booking.machine.agentId ? [booking.machine.agentId] : [] }
      const cancelled = await db.booking.update({ where: { id: booking.id }, data: { status: 'cancelled' }, include })
      if (booking.membershipId !== ctx.membership.id) await audit(db, ctx, 'booking.cancel', booking.id)
      app.live.emit(ctx.space.id, 'booking.changed', liveBooking(cancelled))
      return bookingOut(cancelled, ctx)
    },
  )
}
