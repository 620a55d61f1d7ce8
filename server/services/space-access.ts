// Authorisation per space and role, in one place. A caller who is not a member of a space
// gets 404 for it, never 403: the existence of another space's data is not revealed.
import type { FastifyRequest } from 'fastify'
import { type Db, hotRows } from '../db/client.js'
import { type Membership, type Person, Prisma, type Space } from '../db/generated/sqlite/client.js'
import { StampedCache } from '../db/stamped-cache.js'
import { AppError, forbidden, notFound } from '../lib/errors.js'
import { type Caller, requireCaller } from '../plugins/auth.js'

export const roles = ['maker', 'trainer', 'staff', 'admin'] as const
export type Role = (typeof roles)[number]
const rank: Record<Role, number> = { maker: 0, trainer: 1, staff: 2, admin: 3 }

export const atLeast = (role: string, min: Role) => (rank[role as Role] ?? -1) >= rank[min]

export interface SpaceContext {
  caller: Caller
  space: Space
  membership: Membership
  role: Role
  /** Staff or admin: manages the space. */
  isStaff: boolean
}

export async function spaceContext(
  db: Db,
  request: FastifyRequest,
  slug: string,
  min: Role = 'maker',
): Promise<SpaceContext> {
  const caller = requireCaller(request)
  const found = await membershipIn(db, caller.personId, slug)
  if (!found) throw notFound(`space "${slug}"`)
  const { space, membership } = found
  const role = membership.role as Role
  if (!atLeast(role, min)) throw forbidden(`this needs the ${min} role in ${space.name}`)
  return { caller, space, membership, role, isStaff: atLeast(role, 'staff') }
}

/** Every column of Membership: the compiler says so when the schema gains one. */
const membershipColumns = [
  'id',
  'spaceId',
  'personId',
  'role',
  'priceGroupId',
  'suspended',
  'creditCents',
  'billingName',
  'billingAddress',
  'siret',
  'vatNumber',
  'createdAt',
] as const satisfies readonly (keyof Membership)[]
const allListed: Exclude<keyof Membership, (typeof membershipColumns)[number]> extends never ? true : false = true
void allListed

const memberships = new StampedCache<{ space: Space; membership: Membership } | null>()

/**
 * A person's membership in a space and the space, by its slug. Every space request asks:
 * one hot read (Prisma's findFirst with include cost three times as much CPU as a raw
 * query), none while the database has not changed since the last one.
 */
function membershipIn(db: Db, personId: string, slug: string) {
  return memberships.get(db, `${personId} ${slug}`, () => readMembershipIn(db, personId, slug))
}

async function readMembershipIn(db: Db, personId: string, slug: string) {
  const { sql, raw } = Prisma
  const aliased = raw(membershipColumns.map((c) => `m."${c}" AS "m_${c}"`).join(', '))
  const [row] = await hotRows<Record<string, unknown>>(
    db,
    sql`SELECT s.*, ${aliased}
    FROM "Membership" m JOIN "Space" s ON s."id" = m."spaceId"
    WHERE m."personId" = ${personId} AND s."slug" = ${slug}`,
  )
  if (!row) return null
  const space: Record<string, unknown> = {}
  const membership: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(row)) {
    if (key.startsWith('m_')) membership[key.slice(2)] = value
    else space[key] = value
  }
  return { space: space as Space, membership: membership as Membership }
}

export type MemberWithPerson = Membership & { person: Person }

/** A member of the space by membership id, person id or email. */
export async function findMember(db: Db, spaceId: string, ref: string): Promise<MemberWithPerson> {
  const member = await db.membership.findFirst({
    where: {
      spaceId,
      OR: ref.includes('@') ? [{ person: { email: ref.toLowerCase() } }] : [{ id: ref }, { personId: ref }],
    },
    include: { person: true },
  })
  if (!member) throw notFound(`member "${ref}"`)
  return member
}

/** The member a request is about: staff may name anyone, others only themselves. */
export async function memberInScope(db: Db, ctx: SpaceContext, ref: string | undefined): Promise<MemberWithPerson> {
  if (!ref) return findMember(db, ctx.space.id, ctx.membership.id)
  const member = await findMember(db, ctx.space.id, ref)
  if (!ctx.isStaff && member.id !== ctx.membership.id) throw forbidden('you may act only for yourself')
  return member
}

export function ensureSuspendedOk(member: Membership) {
  if (member.suspended) throw new AppError(403, 'MEMBER_SUSPENDED')
}

export async function audit(
  db: Pick<Db, 'auditLog'>,
  ctx: Pick<SpaceContext, 'space' | 'caller'>,
  action: string,
  target: string,
  details: Record<string, unknown> = {},
) {
  await db.auditLog.create({
    data: { spaceId: ctx.space.id, actorId: ctx.caller.personId, action, target, details: details as object },
  })
}
