// The usage log: machine sessions and access decisions, with filters and CSV export.
// Makers see their own rows only; staff and trainers see the whole space.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Db } from '../db/client.js'
import { toCsv } from '../lib/csv.js'
import { forbidden } from '../lib/errors.js'
import { atLeast, findMember, type SpaceContext, spaceContext } from '../services/space-access.js'
import { errorResponses, Format, IsoDateTime, Slug, SpaceParams, toDate } from './schemas.js'

const Filters = {
  machine: Type.Optional(Slug),
  member: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
  from: Type.Optional(IsoDateTime),
  to: Type.Optional(IsoDateTime),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 500 })),
  format: Format,
}
const MemberRef = Type.Union([
  Type.Object({ id: Type.String(), name: Type.String(), email: Type.String() }),
  Type.Null(),
])

const SessionOut = Type.Object({
  id: Type.String(),
  machine: Type.String(),
  member: MemberRef,
  badgeUid: Type.Union([Type.String(), Type.Null()]),
  bookingId: Type.Union([Type.String(), Type.Null()]),
  startedAt: Type.String(),
  endedAt: Type.Union([Type.String(), Type.Null()]),
  durationSeconds: Type.Union([Type.Integer(), Type.Null()]),
  busySeconds: Type.Union([Type.Integer(), Type.Null()]),
  billedMinutes: Type.Union([Type.Integer(), Type.Null()]),
  chargeCents: Type.Union([Type.Integer({ description: 'price excl. VAT, set when the session ended' }), Type.Null()]),
  endCause: Type.Union([Type.String(), Type.Null()]),
})
const AccessEventOut = Type.Object({
  id: Type.String(),
  at: Type.String(),
  decision: Type.String(),
  reason: Type.String(),
  machine: Type.Union([Type.String(), Type.Null()]),
  member: MemberRef,
  badgeUid: Type.String(),
})

/** Whose rows: a maker only their own, and naming someone else is refused. */
async function memberFilter(app: { db: Db }, ctx: SpaceContext, ref: string | undefined) {
  const seesAll = atLeast(ctx.role, 'trainer')
  if (!ref) return seesAll ? undefined : ctx.membership.id
  const member = await findMember(app.db, ctx.space.id, ref)
  if (!seesAll && member.id !== ctx.membership.id) throw forbidden('makers see only their own log')
  return member.id
}

const person = (m: { id: string; person: { name: string; email: string } } | null) =>
  m ? { id: m.id, name: m.person.name, email: m.person.email } : null
const fileName = (kind: string, space: string) => `${kind}-${space}-${new Date().toISOString().slice(0, 10)}.csv`

export const usageLogRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = app.db

  app.get(
    '/spaces/:space/sessions',
    {
      schema: {
        tags: ['usage log'],
        summary: 'Machine sessions, newest first (?format=csv for a spreadsheet)',
        params: SpaceParams,
        querystring: Type.Object(Filters, { additionalProperties: false }),
        response: { 200: Type.Array(SessionOut), ...errorResponses },
      },
    },
    async (request, reply) => {
      const ctx = await spaceContext(db, request, request.params.space)
      const q = request.query
      const rows = await db.usageSession.findMany({
        where: {
          spaceId: ctx.space.id,
          machine: q.machine ? { slug: q.machine } : undefined,
          membershipId: await memberFilter(app, ctx, q.member),
          startedAt: { gte: toDate(q.from), lt: toDate(q.to) },
        },
        include: { machine: true, member: { include: { person: true } }, badge: true },
        orderBy: { startedAt: 'desc' },
        take: q.limit ?? 500,
      })
      const sessions = rows.map((s) => ({
        id: s.id,
        machine: s.machine.slug,
        member: person(s.member),
        badgeUid: s.badge?.uid ?? null,
        bookingId: s.bookingId,
        startedAt: s.startedAt.toISOString(),
        endedAt: s.endedAt?.toISOString() ?? null,
        durationSeconds: s.endedAt ? Math.round((s.endedAt.getTime() - s.startedAt.getTime()) / 1000) : null,
        busySeconds: s.busySeconds,
        billedMinutes: s.billedMinutes,
        chargeCents: s.chargeCents,
        endCause: s.endCause,
      }))
      if (q.format !== 'csv') return sessions
      const minutes = (seconds: number | null) => (seconds === null ? null : Math.round(seconds / 6) / 10)
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${fileName('sessions', ctx.space.slug)}"`)
        .send(
          toCsv(
            [
              'started_at',
              'ended_at',
              'duration_minutes',
              'machine',
              'member_name',
              'member_email',
              'badge_uid',
              'end_cause',
              'busy_minutes',
              'booking_id',
              'billed_minutes',
              'charge_excl_vat',
            ],
            sessions.map((s) => [
              s.startedAt,
              s.endedAt,
              minutes(s.durationSeconds),
              s.machine,
              s.member?.name,
              s.member?.email,
              s.badgeUid,
              s.endCause,
              minutes(s.busySeconds),
              s.bookingId,
              s.billedMinutes,
              s.chargeCents === null ? null : (s.chargeCents / 100).toFixed(2),
            ]),
          ),
        )
    },
  )

  app.get(
    '/spaces/:space/access-events',
    {
      schema: {
        tags: ['usage log'],
        summary: 'Badge taps and their decisions, newest first (?format=csv for a spreadsheet)',
        params: SpaceParams,
        querystring: Type.Object(
          {
            ...Filters,
            decision: Type.Optional(Type.Union([Type.Literal('granted'), Type.Literal('denied')])),
            reason: Type.Optional(Type.String({ pattern: '^[a-z_]{1,40}$' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(AccessEventOut), ...errorResponses },
      },
    },
    async (request, reply) => {
      const ctx = await spaceContext(db, request, request.params.space)
      const q = request.query
      const rows = await db.accessEvent.findMany({
        where: {
          spaceId: ctx.space.id,
          machine: q.machine ? { slug: q.machine } : undefined,
          membershipId: await memberFilter(app, ctx, q.member),
          decision: q.decision,
          reason: q.reason,
          at: { gte: toDate(q.from), lt: toDate(q.to) },
        },
        include: { machine: true, member: { include: { person: true } } },
        orderBy: { at: 'desc' },
        take: q.limit ?? 500,
      })
      const events = rows.map((e) => ({
        id: e.id,
        at: e.at.toISOString(),
        decision: e.decision,
        reason: e.reason,
        machine: e.machine?.slug ?? null,
        member: person(e.member),
        badgeUid: e.badgeUid,
      }))
      if (q.format !== 'csv') return events
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${fileName('access-events', ctx.space.slug)}"`)
        .send(
          toCsv(
            ['at', 'decision', 'reason', 'machine', 'member_name', 'member_email', 'badge_uid'],
            events.map((e) => [e.at, e.decision, e.reason, e.machine, e.member?.name, e.member?.email, e.badgeUid]),
          ),
        )
    },
  )
}
