// Billing: rates, prepaid credit, invoices and credit notes, exports. Prices are computed in
// protocol/pricing.ts only; this file maps HTTP onto the billing services.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { accountingCsv, invoiceLinesCsv, invoicesCsv } from '../billing/exports.js'
import { renderInvoicePdf } from '../billing/invoice-pdf.js'
import {
  type Draft,
  draftInvoices,
  issueCreditNote,
  issueInvoice,
  type Period,
  verifyInvoiceChain,
} from '../billing/invoices.js'
import type { Db } from '../db/client.js'
import type { Invoice, InvoiceLine, Space } from '../db/generated/sqlite/client.js'
import { AppError, notFound } from '../lib/errors.js'
import { monthPeriod } from '../lib/time.js'
import { audit, findMember, memberInScope, type SpaceContext, spaceContext } from '../services/space-access.js'
import { errorResponses, Format, IsoDateTime, Slug, SpaceParams } from './schemas.js'

const Cents = Type.Integer({ minimum: 0, maximum: 100_000_000, description: 'integer cents' })
const OptionalText = (maxLength: number) => Type.Optional(Type.Union([Type.String({ maxLength }), Type.Null()]))
const PeriodQuery = {
  month: Type.Optional(
    Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: 'local calendar month, YYYY-MM' }),
  ),
  from: Type.Optional(IsoDateTime),
  to: Type.Optional(IsoDateTime),
}
const MemberParams = Type.Object({ space: Slug, member: Type.String({ minLength: 1, maxLength: 254 }) })
const InvoiceParams = Type.Object({ space: Slug, number: Type.String({ minLength: 1, maxLength: 64 }) })

const LineOut = Type.Object({
  position: Type.Integer(),
  kind: Type.String(),
  machine: Type.String(),
  description: Type.String(),
  quantity: Type.Integer(),
  unitCents: Type.Integer(),
  amountExclCents: Type.Integer(),
  vatRateBps: Type.Integer(),
  vatCents: Type.Integer(),
  sessionId: Type.Union([Type.String(), Type.Null()]),
  bookingId: Type.Union([Type.String(), Type.Null()]),
  at: Type.String(),
})
const Totals = {
  totalExclCents: Type.Integer(),
  vatCents: Type.Integer(),
  totalInclCents: Type.Integer(),
}
const InvoiceOut = Type.Object({
  number: Type.String(),
  kind: Type.String({ description: 'invoice | credit_note' }),
  corrects: Type.Union([Type.String(), Type.Null()]),
  member: Type.Object({ id: Type.String(), name: Type.String(), email: Type.String() }),
  periodStart: Type.String(),
  periodEnd: Type.String(),
  issuedAt: Type.String(),
  currency: Type.String(),
  ...Totals,
  hash: Type.String(),
  lines: Type.Array(LineOut),
})
const DraftOut = Type.Object({
  member: Type.Object({ id: Type.String(), name: Type.String() }),
  ...Totals,
  lines: Type.Array(Type.Omit(LineOut, ['position'])),
})
const RateBody = Type.Object(
  {
    centsPerHour: Cents,
    stepMinutes: Type.Integer({
      minimum: 1,
      maximum: 60,
      description: '1 = per started minute, 15 = per started quarter hour',
    }),
    minimumCents: Type.Optional(Cents),
    noShowFeeCents: Type.Optional(Cents),
    billBusyOnly: Type.Optional(
      Type.Boolean({ description: 'bill measured busy time (power above the idle threshold) only' }),
    ),
  },
  { additionalProperties: false },
)
const RateOut = Type.Object({
  machine: Type.String(),
  priceGroup: Type.String(),
  centsPerHour: Type.Integer(),
  stepMinutes: Type.Integer(),
  minimumCents: Type.Integer(),
  noShowFeeCents: Type.Integer(),
  billBusyOnly: Type.Boolean(),
})
const BillingSettings = Type.Object(
  {
    legalName: OptionalText(200),
    legalAddress: OptionalText(500),
    siret: Type.Optional(Type.Union([Type.String({ pattern: '^\\d{14}$' }), Type.Null()])),
    vatNumber: Type.Optional(Type.Union([Type.String({ pattern: '^[A-Z]{2}[0-9A-Z]{2,13}$' }), Type.Null()])),
    invoicePrefix: Type.Optional(Type.String({ pattern: '^[A-Z0-9]{1,10}$' })),
    accountingJournal: Type.Optional(Type.String({ pattern: '^[A-Z0-9]{1,6}$' })),
    accountCustomers: Type.Optional(Type.String({ pattern: '^\\d{3,12}$' })),
    accountSales: Type.Optional(Type.String({ pattern: '^\\d{3,12}$' })),
    accountVat: Type.Optional(Type.String({ pattern: '^\\d{3,12}$' })),
  },
  { additionalProperties: false },
)
const BillingDetails = Type.Object(
  {
    billingName: OptionalText(200),
    billingAddress: OptionalText(500),
    siret: Type.Optional(Type.Union([Type.String({ pattern: '^\\d{14}$' }), Type.Null()])),
    vatNumber: Type.Optional(Type.Union([Type.String({ pattern: '^[A-Z]{2}[0-9A-Z]{2,13}$' }), Type.Null()])),
  },
  { additionalProperties: false },
)
const CreditEntryOut = Type.Object({
  id: Type.String(),
  at: Type.String(),
  amountCents: Type.Integer(),
  kind: Type.String(),
  means: Type.Union([Type.String(), Type.Null()]),
  reference: Type.Union([Type.String(), Type.Null()]),
  sessionId: Type.Union([Type.String(), Type.Null()]),
})

/** The period a request names: a local month, or from/to instants. */
function periodOf(space: Space, q: { month?: string; from?: string; to?: string }): Period {
  if (q.month && !q.from && !q.to) return monthPeriod(q.month, space.timeZone)
  if (!q.month && q.from && q.to && new Date(q.from) < new Date(q.to))
    return { start: new Date(q.from), end: new Date(q.to) }
  throw new AppError(400, 'INVALID_PERIOD')
}

type FullInvoice = Invoice & { lines: InvoiceLine[]; member: { id: string; person: { name: string; email: string } } }
const invoiceInclude = { lines: true, member: { include: { person: true } } } as const

function invoiceOut(i: FullInvoice, correctsNumber: string | null) {
  return {
    number: i.number,
    kind: i.kind,
    corrects: correctsNumber,
    member: { id: i.member.id, name: i.member.person.name, email: i.member.person.email },
    periodStart: i.periodStart.toISOString(),
    periodEnd: i.periodEnd.toISOString(),
    issuedAt: i.issuedAt.toISOString(),
    currency: i.currency,
    totalExclCents: i.totalExclCents,
    vatCents: i.vatCents,
    totalInclCents: i.totalInclCents,
    hash: i.hash,
    lines: [...i.lines].sort((a, b) => a.position - b.position).map((l) => ({ ...l, at: l.at.toISOString() })),
  }
}

function draftOut(d: Draft) {
  return {
    member: { id: d.membershipId, name: d.memberName },
    totalExclCents: d.totalExclCents,
    vatCents: d.vatCents,
    totalInclCents: d.totalInclCents,
    lines: d.lines.map((l) => ({ ...l, at: l.at.toISOString() })),
  }
}

async function numbersOf(db: Db, invoices: Invoice[]) {
  const ids = invoices.flatMap((i) => (i.correctsId ? [i.correctsId] : []))
  const corrected = ids.length
    ? await db.invoice.findMany({ where: { id: { in: ids } }, select: { id: true, number: true } })
    : []
  const byId = new Map(corrected.map((c) => [c.id, c.number]))
  return (i: Invoice) => (i.correctsId ? (byId.get(i.correctsId) ?? null) : null)
}

async function findInvoice(db: Db, ctx: SpaceContext, number: string): Promise<FullInvoice> {
  const invoice = await db.invoice.findUnique({
    where: { spaceId_number: { spaceId: ctx.space.id, number } },
    include: invoiceInclude,
  })
  // A maker sees only their own invoices; someone else's is "not found", not "forbidden".
  if (!invoice || (!ctx.isStaff && invoice.membershipId !== ctx.membership.id)) throw notFound(`invoice ${number}`)
  return invoice
}

export const billingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = app.db

  app.get(
    '/spaces/:space/billing/settings',
    {
      schema: {
        tags: ['billing'],
        summary: 'Seller details, invoice prefix and accounting accounts (staff)',
        params: SpaceParams,
        response: { 200: BillingSettings, ...errorResponses },
      },
    },
    async (request) => {
      const { space } = await spaceContext(db, request, request.params.space, 'staff')
      return space // the response schema keeps the billing settings only
    },
  )

  app.put(
    '/spaces/:space/billing/settings',
    {
      schema: {
        tags: ['billing'],
        summary: 'Change seller details, invoice prefix or accounting accounts (admin)',
        params: SpaceParams,
        body: BillingSettings,
        response: { 200: BillingSettings, ...errorResponses },
      },
    },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space, 'admin')
      const space = await db.space.update({ where: { id: ctx.space.id }, data: request.body })
      await audit(db, ctx, 'billing.settings', space.slug, request.body)
      return space // the response schema keeps the billing settings only
    },
  )

  app.get(
    '/spaces/:space/rates',
    {
      schema: {
        tags: ['billing'],
        summary: 'Rates per machine and price group (cents excl. VAT)',
        params: SpaceParams,
        response: { 200: Type.Array(RateOut), ...errorResponses },
      },
    },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space)
      const rates = await db.rate.findMany({
        where: { spaceId: ctx.space.id },
        include: { machine: true, priceGroup: true },
        orderBy: [{ machine: { slug: 'asc' } }, { priceGroup: { slug: 'asc' } }],
      })
      return rates.map((r) => ({ ...r, machine: r.machine.slug, priceGroup: r.priceGroup.slug }))
    },
  )

  const RateParams = Type.Object({ space: Slug, machine: Slug, priceGroup: Slug })
  app.put(
    '/spaces/:space/machines/:machine/rates/:priceGroup',
    {
      schema: {
        tags: ['billing'],
        summary: 'Set the rate of a machine for a price group (staff)',
        params: RateParams,
        body: RateBody,
        response: { 200: RateOut, ...errorResponses },
      },
    },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space, 'staff')
      const machine = await db.machine.findUnique({
        where: { spaceId_slug: { spaceId: ctx.space.id, slug: request.params.machine } },
      })
      if (!machine) throw notFound(`machine "${request.params.machine}"`)
      const group = await db.priceGroup.findUnique({
        where: { spaceId_slug: { spaceId: ctx.space.id, slug: request.params.priceGroup } },
      })
      if (!group) throw notFound(`price group "${request.params.priceGroup}"`)
      const data = { minimumCents: 0, noShowFeeCents: 0, billBusyOnly: false, ...request.body }
      const rate = await db.rate.upsert({
        where: { machineId_priceGroupId: { machineId: machine.id, priceGroupId: group.id } },
        create: { spaceId: ctx.space.id, machineId: machine.id, priceGroupId: group.id, ...data },
        update: data,
      })
      await audit(db, ctx, 'rate.set', `${machine.slug}/${group.slug}`, data)
      return { ...rate, machine: machine.slug, priceGroup: group.slug }
    },
  )

  app.put(
    '/spaces/:space/members/:member/billing-details',
    {
      schema: {
        tags: ['billing'],
        summary: 'Buyer details printed on invoices (the member, or staff)',
        params: MemberParams,
        body: BillingDetails,
        response: { 200: BillingDetails, ...errorResponses },
      },
    },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space)
      const member = await memberInScope(db, ctx, request.params.member)
      const m = await db.membership.update({ where: { id: member.id }, data: request.body })
      return { billingName: m.billingName, billingAddress: m.billingAddress, siret: m.siret, vatNumber: m.vatNumber }
    },
  )

  const CreditOut = Type.Object({
    balanceCents: Type.Integer({ description: 'prepaid credit; negative when consumption exceeds top-ups' }),
    currency: Type.String(),
    entries: Type.Array(CreditEntryOut),
  })
  const creditOf = async (space: Space, membershipId: string) => {
    const [member, entries] = await Promise.all([
      db.membership.findUniqueOrThrow({ where: { id: membershipId } }),
      db.creditEntry.findMany({ where: { membershipId }, orderBy: { at: 'desc' }, take: 200 }),
    ])
    return {
      balanceCents: member.creditCents,
      currency: space.currency,
      entries: entries.map((e) => ({ ...e, at: e.at.toISOString() })),
    }
  }

  app.get(
    '/spaces/:space/members/:member/credit',
    {
      schema: {
        tags: ['billing'],
        summary: 'Prepaid credit balance and movements (the member, or staff)',
        params: MemberParams,
        response: { 200: CreditOut, ...errorResponses },
      },
    },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space)
      const member = await memberInScope(db, ctx, request.params.member)
      return creditOf(ctx.space, member.id)
    },
  )

  app.post(
    '/spaces/:space/members/:member/credit',
    {
      schema: {
        tags: ['billing'],
        summary: 'Record a top-up (or a refund or adjustment) of prepaid credit (staff)',
        params: MemberParams,
        body: Type.Object(
          {
            amountCents: Type.Integer({ minimum: -100_000_000, maximum: 100_000_000, description: 'cents; not zero' }),
            kind: Type.Optional(
              Type.Union([Type.Literal('topup'), Type.Literal('refund'), Type.Literal('adjustment')]),
            ),
            means: Type.Optional(
              Type.Union([
                Type.Literal('cash'),
                Type.Literal('card'),
                Type.Literal('transfer'),
                Type.Literal('cheque'),
                Type.Literal('other'),
              ]),
            ),
            reference: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: CreditOut, ...errorResponses },
      },
    },
    async (request, reply) => {
      const ctx = await spaceContext(db, request, request.params.space, 'staff')
      const member = await findMember(db, ctx.space.id, request.params.member)
      const { amountCents, kind = amountCents > 0 ? 'topup' : 'adjustment', means, reference } = request.body
      if (amountCents === 0) throw new AppError(400, 'VALIDATION_FAILED', 'body.amountCents: must not be zero')
      if (kind === 'topup' && amountCents < 0)
        throw new AppError(400, 'VALIDATION_FAILED', 'body.amountCents: a top-up is positive')
      await db.$transaction([
        db.creditEntry.create({
          data: {
            spaceId: ctx.space.id,
            membershipId: member.id,
            amountCents,
            kind,
            means: means ?? null,
            reference: reference ?? null,
            createdById: ctx.caller.personId,
          },
        }),
        db.membership.update({ where: { id: member.id }, data: { creditCents: { increment: amountCents } } }),
      ])
      await audit(db, ctx, `credit.${kind}`, member.person.email, request.body)
      reply.code(201)
      return creditOf(ctx.space, member.id)
    },
  )

  app.get(
    '/spaces/:space/invoices/preview',
    {
      schema: {
        tags: ['billing'],
        summary: 'What would be invoiced for a period, per member, without issuing anything',
        params: SpaceParams,
        querystring: Type.Object(
          { ...PeriodQuery, member: Type.Optional(Type.String({ maxLength: 254 })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(DraftOut), ...errorResponses },
      },
    },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space)
      const memberId =
        ctx.isStaff && !request.query.member ? undefined : (await memberInScope(db, ctx, request.query.member)).id
      const drafts = await draftInvoices(db, ctx.space, periodOf(ctx.space, request.query), memberId)
      return drafts.map(draftOut)
    },
  )

  app.post(
    '/spaces/:space/invoices',
    {
      schema: {
        tags: ['billing'],
        summary: 'Issue the invoices of a period: of one member, or of every member with something to invoice (staff)',
        params: SpaceParams,
        body: Type.Object(
          { ...PeriodQuery, member: Type.Optional(Type.String({ maxLength: 254 })) },
          { additionalProperties: false },
        ),
        response: { 201: Type.Array(InvoiceOut), ...errorResponses },
      },
    },
    async (request, reply) => {
      const ctx = await spaceContext(db, request, request.params.space, 'staff')
      const period = periodOf(ctx.space, request.body)
      const memberIds = request.body.member
        ? [(await findMember(db, ctx.space.id, request.body.member)).id]
        : (await draftInvoices(db, ctx.space, period)).map((d) => d.membershipId)
      const issued: FullInvoice[] = []
      for (const membershipId of memberIds) {
        const invoice = await issueInvoice(db, ctx.space.id, membershipId, period, ctx.caller.personId).catch(
          (error) => {
            // In a run for everyone, someone invoiced meanwhile is skipped; for one member it is an error.
            if (!request.body.member && error instanceof AppError && error.code === 'NOTHING_TO_INVOICE') return null
            throw error
          },
        )
        if (!invoice) continue
        issued.push(await db.invoice.findUniqueOrThrow({ where: { id: invoice.id }, include: invoiceInclude }))
        await audit(db, ctx, 'invoice.issue', invoice.number, { totalInclCents: invoice.totalInclCents })
      }
      reply.code(201)
      return issued.map((i) => invoiceOut(i, null))
    },
  )

  app.get(
    '/spaces/:space/invoices',
    {
      schema: {
        tags: ['billing'],
        summary: 'Issued invoices and credit notes (makers: their own); ?format=csv for a spreadsheet',
        params: SpaceParams,
        querystring: Type.Object(
          {
            member: Type.Optional(Type.String({ maxLength: 254 })),
            from: Type.Optional(IsoDateTime),
            to: Type.Optional(IsoDateTime),
            format: Format,
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(InvoiceOut), ...errorResponses },
      },
    },
    async (request, reply) => {
      const ctx = await spaceContext(db, request, request.params.space)
      const q = request.query
      const memberId = ctx.isStaff && !q.member ? undefined : (await memberInScope(db, ctx, q.member)).id
      const invoices = await db.invoice.findMany({
        where: {
          spaceId: ctx.space.id,
          membershipId: memberId,
          issuedAt: { gte: q.from ? new Date(q.from) : undefined, lt: q.to ? new Date(q.to) : undefined },
        },
        include: invoiceInclude,
        orderBy: { seq: 'asc' },
      })
      if (q.format === 'csv') {
        reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="invoices-${ctx.space.slug}.csv"`)
        return reply.send(invoicesCsv(ctx.space, invoices))
      }
      const corrects = await numbersOf(db, invoices)
      return invoices.map((i) => invoiceOut(i, corrects(i)))
    },
  )

  app.get(
    '/spaces/:space/invoices/lines',
    {
      schema: {
        tags: ['billing'],
        summary: 'Invoice lines as CSV (staff)',
        params: SpaceParams,
        querystring: Type.Object(
          { from: Type.Optional(IsoDateTime), to: Type.Optional(IsoDateTime) },
          { additionalProperties: false },
        ),
        response: { 200: Type.String(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const ctx = await spaceContext(db, request, request.params.space, 'staff')
      const q = request.query
      const invoices = await db.invoice.findMany({
        where: {
          spaceId: ctx.space.id,
          issuedAt: { gte: q.from ? new Date(q.from) : undefined, lt: q.to ? new Date(q.to) : undefined },
        },
        include: invoiceInclude,
        orderBy: { seq: 'asc' },
      })
      reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="invoice-lines-${ctx.space.slug}.csv"`)
      return reply.send(invoiceLinesCsv(ctx.space, invoices))
    },
  )

  app.get(
    '/spaces/:space/accounting-export',
    {
      schema: {
        tags: ['billing'],
        summary: 'Sales journal of a period (invoices issued in it) as CSV, with the space’s account codes (staff)',
        params: SpaceParams,
        querystring: Type.Object(PeriodQuery, { additionalProperties: false }),
        response: { 200: Type.String(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const ctx = await spaceContext(db, request, request.params.space, 'staff')
      const period = periodOf(ctx.space, request.query)
      const invoices = await db.invoice.findMany({
        where: { spaceId: ctx.space.id, issuedAt: { gte: period.start, lt: period.end } },
        include: invoiceInclude,
        orderBy: { seq: 'asc' },
      })
      reply
        .type('text/csv; charset=utf-8')
        .header(
          'content-disposition',
          `attachment; filename="journal-${ctx.space.slug}-${request.query.month ?? 'period'}.csv"`,
        )
      return reply.send(accountingCsv(ctx.space, invoices))
    },
  )

  app.get(
    '/spaces/:space/invoices/verify',
    {
      schema: {
        tags: ['billing'],
        summary: 'Check the invoice chain: no gap, no change after issue (staff)',
        params: SpaceParams,
        response: {
          200: Type.Object({
            ok: Type.Boolean(),
            checked: Type.Integer(),
            problems: Type.Array(
              Type.Object({
                number: Type.Union([Type.String(), Type.Null()]),
                seq: Type.Integer(),
                problem: Type.String(),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space, 'staff')
      const result = await verifyInvoiceChain(db, ctx.space.id)
      return { ok: result.problems.length === 0, ...result }
    },
  )

  app.get(
    '/spaces/:space/invoices/:number',
    {
      schema: {
        tags: ['billing'],
        summary: 'One invoice with its lines (makers: their own)',
        params: InvoiceParams,
        response: { 200: InvoiceOut, ...errorResponses },
      },
    },
    async (request) => {
      const ctx = await spaceContext(db, request, request.params.space)
      const invoice = await findInvoice(db, ctx, request.params.number)
      return invoiceOut(invoice, (await numbersOf(db, [invoice]))(invoice))
    },
  )

  app.get(
    '/spaces/:space/invoices/:number/pdf',
    {
      schema: {
        tags: ['billing'],
        summary: 'The invoice as PDF (makers: their own)',
        params: InvoiceParams,
        response: { 200: Type.String({ description: 'application/pdf' }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const ctx = await spaceContext(db, request, request.params.space)
      const invoice = await findInvoice(db, ctx, request.params.number)
      const pdf = renderInvoicePdf(invoice, ctx.space.timeZone, (await numbersOf(db, [invoice]))(invoice))
      reply.type('application/pdf').header('content-disposition', `inline; filename="${invoice.number}.pdf"`)
      return reply.send(pdf)
    },
  )

  app.post(
    '/spaces/:space/invoices/:number/credit-note',
    {
      schema: {
        tags: ['billing'],
        summary: 'Cancel an issued invoice by a credit note; its sessions may then be invoiced again (staff)',
        params: InvoiceParams,
        response: { 201: InvoiceOut, ...errorResponses },
      },
    },
    async (request, reply) => {
      const ctx = await spaceContext(db, request, request.params.space, 'staff')
      const invoice = await findInvoice(db, ctx, request.params.number)
      const note = await issueCreditNote(db, invoice, ctx.caller.personId)
      await audit(db, ctx, 'invoice.credit_note', note.number, { corrects: invoice.number })
      reply.code(201)
      return invoiceOut(
        await db.invoice.findUniqueOrThrow({ where: { id: note.id }, include: invoiceInclude }),
        invoice.number,
      )
    },
  )
}
