// Invoices: drafted from what a member has not been invoiced for yet in a period (priced
// sessions, no-show fees), issued with a gapless number per space, frozen, chained by hash.
//
// Gapless numbering: the issuing transaction first bumps Space.invoiceSeq. On PostgreSQL
// that row lock queues concurrent issues of one space; on SQLite the write takes the
// database's single writer lock. A transaction that fails (nothing to invoice, a crash)
// rolls its number back with it, so numbers never skip and never repeat.
import { createHash } from 'node:crypto'
import { vatOf } from '../../protocol/pricing.js'
import type { Db, Tx } from '../db/client.js'
import type { Invoice, InvoiceLine, Membership, Person, Space } from '../db/generated/sqlite/client.js'
import { AppError } from '../lib/errors.js'
import { localDateTimeText, localParts } from '../lib/time.js'

export interface Period {
  start: Date
  end: Date
}

export interface DraftLine {
  kind: 'session' | 'no_show'
  machine: string
  description: string
  quantity: number
  unitCents: number
  amountExclCents: number
  vatRateBps: number
  vatCents: number
  sessionId: string | null
  bookingId: string | null
  at: Date
}

export interface Draft {
  membershipId: string
  memberName: string
  lines: DraftLine[]
  totalExclCents: number
  vatCents: number
  totalInclCents: number
}

export type InvoiceWithLines = Invoice & { lines: InvoiceLine[] }

const totals = (lines: Pick<DraftLine, 'amountExclCents' | 'vatCents'>[]) => {
  const totalExclCents = lines.reduce((sum, l) => sum + l.amountExclCents, 0)
  const vatCents = lines.reduce((sum, l) => sum + l.vatCents, 0)
  return { totalExclCents, vatCents, totalInclCents: totalExclCents + vatCents }
}

function minutesText(minutes: number) {
  const h = Math.floor(minutes / 60)
  const m = minutes % 60
  return h ? `${h} h ${m.toString().padStart(2, '0')}` : `${m} min`
}

/** What each member (or one) would be invoiced for in the period: nothing is written. */
export async function draftInvoices(
  db: Db | Tx,
  space: Space,
  period: Period,
  membershipId?: string,
  now = new Date(),
): Promise<Draft[]> {
  const sessions = await db.usageSession.findMany({
    where: {
      spaceId: space.id,
      membershipId: membershipId ?? { not: null },
      invoiceId: null,
      chargeCents: { gt: 0 },
      startedAt: { gte: period.start, lt: period.end },
    },
    include: { machine: true, member: { include: { person: true } } },
    orderBy: { startedAt: 'asc' },
  })
  // A booking never checked in and over: a no-show, charged the fee of the member's group.
  const noShows = await db.booking.findMany({
    where: {
      spaceId: space.id,
      membershipId,
      invoiceId: null,
      status: { in: ['confirmed', 'no_show'] },
      sessions: { none: {} },
      start: { gte: period.start, lt: period.end },
      end: { lte: now },
    },
    include: { machine: true, member: { include: { person: true } } },
    orderBy: { start: 'asc' },
  })
  // The space's rates, read once (a month of sessions would otherwise read one per line).
  const rates = new Map(
    (await db.rate.findMany({ where: { spaceId: space.id } })).map((r) => [`${r.machineId}|${r.priceGroupId}`, r]),
  )
  const drafts = new Map<string, Draft>()
  const draftOf = (m: Membership & { person: Person }) => {
    let d = drafts.get(m.id)
    if (!d) {
      d = {
        membershipId: m.id,
        memberName: m.person.name,
        lines: [],
        totalExclCents: 0,
        vatCents: 0,
        totalInclCents: 0,
      }
      drafts.set(m.id, d)
    }
    return d
  }
  for (const s of sessions) {
    if (!s.member || s.chargeCents === null || s.billedMinutes === null) continue
    const local = localDateTimeText(s.startedAt, space.timeZone)
    const rate = rates.get(`${s.machineId}|${s.priceGroupId}`)
    draftOf(s.member).lines.push({
      kind: 'session',
      machine: s.machine.slug,
      description: `${s.machine.name} — ${local.date} ${local.time}, ${minutesText(s.billedMinutes)}`,
      quantity: s.billedMinutes,
      unitCents: rate?.centsPerHour ?? 0,
      amountExclCents: s.chargeCents,
      vatRateBps: space.vatRateBps,
      vatCents: vatOf(s.chargeCents, space.vatRateBps),
      sessionId: s.id,
      bookingId: null,
      at: s.startedAt,
    })
  }
  for (const b of noShows) {
    if (!b.member.priceGroupId) continue
    const rate = rates.get(`${b.machineId}|${b.member.priceGroupId}`)
    const fee = b.noShowFeeCents ?? rate?.noShowFeeCents ?? 0
    if (fee <= 0) continue
    const local = localDateTimeText(b.start, space.timeZone)
    draftOf(b.member).lines.push({
      kind: 'no_show',
      machine: b.machine.slug,
      description: `Réservation non honorée — ${b.machine.name}, ${local.date} ${local.time}`,
      quantity: 1,
      unitCents: fee,
      amountExclCents: fee,
      vatRateBps: space.vatRateBps,
      vatCents: vatOf(fee, space.vatRateBps),
      sessionId: null,
      bookingId: b.id,
      at: b.start,
    })
  }
  return [...drafts.values()].map((d) => {
    d.lines.sort((a, b) => a.at.getTime() - b.at.getTime())
    return { ...d, ...totals(d.lines) }
  })
}

export function invoiceNumber(space: Pick<Space, 'invoicePrefix' | 'timeZone'>, seq: number, issuedAt: Date) {
  return `${space.invoicePrefix}-${localParts(issuedAt, space.timeZone).year}-${seq.toString().padStart(6, '0')}`
}

function sellerOf(space: Space) {
  return {
    name: space.legalName ?? space.name,
    address: space.legalAddress,
    siret: space.siret,
    vatNumber: space.vatNumber,
  }
}

function buyerOf(member: Membership & { person: Person }) {
  return {
    name: member.billingName ?? member.person.name,
    email: member.person.email,
    address: member.billingAddress,
    siret: member.siret,
    vatNumber: member.vatNumber,
  }
}

/** JSON with sorted keys: the same content hashes the same on SQLite and PostgreSQL (jsonb reorders keys). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null)
  if (value instanceof Date) return JSON.stringify(value.toISOString())
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
}

/** The hash of an invoice: everything printed on it, and the previous invoice's hash. */
export function invoiceHash(
  invoice: Omit<Invoice, 'id' | 'hash' | 'issuedById'>,
  lines: Omit<InvoiceLine, 'id' | 'invoiceId'>[],
) {
  const content = {
    previousHash: invoice.previousHash,
    spaceId: invoice.spaceId,
    membershipId: invoice.membershipId,
    seq: invoice.seq,
    number: invoice.number,
    kind: invoice.kind,
    correctsId: invoice.correctsId,
    periodStart: invoice.periodStart,
    periodEnd: invoice.periodEnd,
    issuedAt: invoice.issuedAt,
    currency: invoice.currency,
    seller: invoice.seller,
    buyer: invoice.buyer,
    totalExclCents: invoice.totalExclCents,
    vatCents: invoice.vatCents,
    totalInclCents: invoice.totalInclCents,
    lines: [...lines]
      .sort((a, b) => a.position - b.position)
      .map((l) => ({
        position: l.position,
        kind: l.kind,
        machine: l.machine,
        description: l.description,
        quantity: l.quantity,
        unitCents: l.unitCents,
        amountExclCents: l.amountExclCents,
        vatRateBps: l.vatRateBps,
        vatCents: l.vatCents,
        sessionId: l.sessionId,
        bookingId: l.bookingId,
        at: l.at,
      })),
  }
  return createHash('sha256').update(canonicalJson(content)).digest('hex')
}

/** Takes the next number of the space inside tx, and the hash of the invoice before it. */
async function nextInSequence(tx: Tx, spaceId: string) {
  const space = await tx.space.update({ where: { id: spaceId }, data: { invoiceSeq: { increment: 1 } } })
  const previous =
    space.invoiceSeq > 1
      ? await tx.invoice.findUnique({ where: { spaceId_seq: { spaceId, seq: space.invoiceSeq - 1 } } })
      : null
  return { space, seq: space.invoiceSeq, previousHash: previous?.hash ?? '' }
}

async function writeInvoice(
  tx: Tx,
  data: Omit<Invoice, 'id' | 'hash'>,
  lines: Omit<InvoiceLine, 'id' | 'invoiceId' | 'position'>[],
): Promise<InvoiceWithLines> {
  const numbered = lines.map((l, i) => ({ ...l, position: i + 1 }))
  const hash = invoiceHash(data, numbered)
  return tx.invoice.create({
    data: {
      ...data,
      seller: data.seller as object,
      buyer: data.buyer as object,
      hash,
      lines: { create: numbered },
    },
    include: { lines: true },
  })
}

const txOptions = { maxWait: 30_000, timeout: 30_000 }

/** Issues the invoice of one member for a period; NOTHING_TO_INVOICE when there is nothing. */
export async function issueInvoice(
  db: Db,
  spaceId: string,
  membershipId: string,
  period: Period,
  issuedById: string | null,
  now = new Date(),
): Promise<InvoiceWithLines> {
  return db.$transaction(async (tx) => {
    const { space, seq, previousHash } = await nextInSequence(tx, spaceId)
    const [draft] = await draftInvoices(tx, space, period, membershipId, now)
    if (!draft || draft.lines.length === 0) {
      throw new AppError(409, 'NOTHING_TO_INVOICE', 'nothing left to invoice for this member in this period')
    }
    const member = await tx.membership.findUniqueOrThrow({ where: { id: membershipId }, include: { person: true } })
    const invoice = await writeInvoice(
      tx,
      {
        spaceId,
        membershipId,
        seq,
        number: invoiceNumber(space, seq, now),
        kind: 'invoice',
        correctsId: null,
        periodStart: period.start,
        periodEnd: period.end,
        issuedAt: now,
        currency: space.currency,
        seller: sellerOf(space),
        buyer: buyerOf(member),
        totalExclCents: draft.totalExclCents,
        vatCents: draft.vatCents,
        totalInclCents: draft.totalInclCents,
        previousHash,
        issuedById,
      },
      draft.lines,
    )
    const sessionIds = draft.lines.flatMap((l) => (l.sessionId ? [l.sessionId] : []))
    if (sessionIds.length)
      await tx.usageSession.updateMany({ where: { id: { in: sessionIds } }, data: { invoiceId: invoice.id } })
    for (const l of draft.lines) {
      if (l.bookingId)
        await tx.booking.update({
          where: { id: l.bookingId },
          data: { invoiceId: invoice.id, noShowFeeCents: l.amountExclCents, status: 'no_show' },
        })
    }
    return invoice
  }, txOptions)
}

/** Cancels an issued invoice by a credit note of the opposite amounts; its items may be invoiced again. */
export async function issueCreditNote(
  db: Db,
  invoice: InvoiceWithLines,
  issuedById: string | null,
  now = new Date(),
): Promise<InvoiceWithLines> {
  if (invoice.kind !== 'invoice')
    throw new AppError(409, 'INVOICE_NOT_CORRECTABLE', 'a credit note cannot be corrected')
  return db.$transaction(async (tx) => {
    const { space, seq, previousHash } = await nextInSequence(tx, invoice.spaceId)
    if (await tx.invoice.findFirst({ where: { correctsId: invoice.id } }))
      throw new AppError(409, 'INVOICE_NOT_CORRECTABLE', `${invoice.number} already has a credit note`)
    const note = await writeInvoice(
      tx,
      {
        spaceId: invoice.spaceId,
        membershipId: invoice.membershipId,
        seq,
        number: invoiceNumber(space, seq, now),
        kind: 'credit_note',
        correctsId: invoice.id,
        periodStart: invoice.periodStart,
        periodEnd: invoice.periodEnd,
        issuedAt: now,
        currency: invoice.currency,
        seller: invoice.seller,
        buyer: invoice.buyer,
        totalExclCents: -invoice.totalExclCents,
        vatCents: -invoice.vatCents,
        totalInclCents: -invoice.totalInclCents,
        previousHash,
        issuedById,
      },
      [...invoice.lines]
        .sort((a, b) => a.position - b.position)
        .map(({ id: _id, invoiceId: _invoiceId, position: _position, ...l }) => ({
          ...l,
          description: `Annulation ${invoice.number} : ${l.description}`,
          amountExclCents: -l.amountExclCents,
          vatCents: -l.vatCents,
        })),
    )
    await tx.usageSession.updateMany({ where: { invoiceId: invoice.id }, data: { invoiceId: null } })
    await tx.booking.updateMany({ where: { invoiceId: invoice.id }, data: { invoiceId: null } })
    return note
  }, txOptions)
}

export interface ChainProblem {
  number: string | null
  seq: number
  problem: string
}

/** Checks a space's invoices: no gap in numbers, each hash matches its content and links to the previous one. */
export async function verifyInvoiceChain(
  db: Db,
  spaceId: string,
): Promise<{ checked: number; problems: ChainProblem[] }> {
  const invoices = await db.invoice.findMany({ where: { spaceId }, include: { lines: true }, orderBy: { seq: 'asc' } })
  const problems: ChainProblem[] = []
  let previousHash = ''
  invoices.forEach((invoice, i) => {
    const say = (problem: string) => problems.push({ number: invoice.number, seq: invoice.seq, problem })
    if (invoice.seq !== i + 1) say(`number ${i + 1} is missing before it`)
    if (invoice.previousHash !== previousHash) say('does not link to the previous invoice (one was changed or removed)')
    if (invoiceHash(invoice, invoice.lines) !== invoice.hash) say('content changed after issue: hash does not match')
    const sums = totals(invoice.lines)
    if (sums.totalExclCents !== invoice.totalExclCents || sums.vatCents !== invoice.vatCents)
      say('totals differ from the sum of the lines')
    if (invoice.totalInclCents !== invoice.totalExclCents + invoice.vatCents)
      say('total including VAT is not excl. + VAT')
    previousHash = invoice.hash
  })
  const space = await db.space.findUnique({ where: { id: spaceId }, select: { invoiceSeq: true } })
  if (space && space.invoiceSeq !== invoices.length)
    problems.push({
      number: null,
      seq: space.invoiceSeq,
      problem: `${space.invoiceSeq} numbers issued but ${invoices.length} invoices stored`,
    })
  return { checked: invoices.length, problems }
}
