// Read-only endpoints the web application needs beyond the resource routes.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { AppError, forbidden } from '../lib/errors.js'
import { localDayStart, localParts } from '../lib/time.js'
import { callerFromSessionCookie, SESSION_COOKIE } from '../plugins/auth.js'
import { atLeast, findMember, spaceContext } from '../services/space-access.js'
import { errorResponses, IsoDateTime, Slug, SpaceParams } from './schemas.js'

/** Longest period the daily usage covers in one request. */
const MAX_DAYS = 366

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

export const webSupportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = app.db

  app.get(
    '/web/session',
    {
      schema: {
        tags: ['web'],
        summary:
          'The CSRF token of this browser session, for a page opened in a new tab (null without a session cookie)',
        response: { 200: Type.Object({ csrfToken: Type.Union([Type.String(), Type.Null()]) }) },
      },
    },
    async (request, reply) => {
      // Same-origin pages only can read it: no CORS headers are ever sent.
      void reply.header('cache-control', 'no-store')
      const session = await callerFromSessionCookie(db, request.cookies[SESSION_COOKIE], (v) => request.unsignCookie(v))
      return { csrfToken: session?.csrfToken ?? null }
    },
  )

  app.get(
    '/spaces/:space/usage/daily',
    {
      schema: {
        tags: ['usage log'],
        summary:
          'Machine use per local day of the space (DST days count right): sessions started and seconds of use, for charts. Makers see their own use only.',
        params: SpaceParams,
        querystring: Type.Object(
          {
            from: IsoDateTime,
            to: IsoDateTime,
            machine: Type.Optional(Slug),
            member: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            timeZone: Type.String(),
            days: Type.Array(
              Type.Object({
                date: Type.String({ description: 'local day, YYYY-MM-DD' }),
                machine: Type.String(),
                sessions: Type.Integer(),
                seconds: Type.Integer(),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space)
      const from = new Date(request.query.from)
      const to = new Date(request.query.to)
      if (to.getTime() <= from.getTime())
        throw new AppError(400, 'VALIDATION_FAILED', 'querystring.to must be after from')
      if (to.getTime() - from.getTime() > MAX_DAYS * 86_400_000)
        throw new AppError(400, 'VALIDATION_FAILED', `querystring: at most ${MAX_DAYS} days at once`)
      const seesAll = atLeast(ctx.role, 'trainer')
      let membershipId: string | undefined
      if (request.query.member) {
        const member = await findMember(db, ctx.space.id, request.query.member)
        if (!seesAll && member.id !== ctx.membership.id) throw forbidden('makers see only their own use')
        membershipId = member.id
      } else if (!seesAll) membershipId = ctx.membership.id

      const now = new Date()
      const rows = await db.usageSession.findMany({
        where: {
          spaceId: ctx.space.id,
          machine: request.query.machine ? { slug: request.query.machine } : undefined,
          membershipId,
          startedAt: { lt: to },
          OR: [{ endedAt: null }, { endedAt: { gt: from } }],
        },
        select: { startedAt: true, endedAt: true, machine: { select: { slug: true } } },
        take: 50_000,
      })
      const tz = ctx.space.timeZone
      const totals = new Map<string, { date: string; machine: string; sessions: number; seconds: number }>()
      const bucket = (date: string, machine: string) => {
        const key = `${date}|${machine}`
        let b = totals.get(key)
        if (!b) {
          b = { date, machine, sessions: 0, seconds: 0 }
          totals.set(key, b)
        }
        return b
      }
      const dateOf = (at: Date) => {
        const p = localParts(at, tz)
        return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`
      }
      for (const s of rows) {
        const start = new Date(Math.max(s.startedAt.getTime(), from.getTime()))
        const end = new Date(Math.min((s.endedAt ?? now).getTime(), to.getTime()))
        if (s.startedAt.getTime() >= from.getTime()) bucket(dateOf(s.startedAt), s.machine.slug).sessions++
        // A session over midnight counts on each local day it covers.
        let cursor = start
        while (cursor.getTime() < end.getTime()) {
          const next = localDayStart(cursor, tz, 1)
          const pieceEnd = next.getTime() < end.getTime() ? next : end
          bucket(dateOf(cursor), s.machine.slug).seconds += Math.round((pieceEnd.getTime() - cursor.getTime()) / 1000)
          cursor = pieceEnd
        }
      }
      const days = [...totals.values()].sort(
        (a, b) => a.date.localeCompare(b.date) || a.machine.localeCompare(b.machine),
      )
      return { timeZone: tz, days }
    },
  )
}
