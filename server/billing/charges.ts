// Charging machine time: a session is priced once, when it ends, with the rate of the
// member's price group at the session's start, and debited from the member's credit in the
// same transaction as its storage (so a replayed event never charges twice). The price and
// the debit are decided here; the event's transaction writes them with the session
// (server/services/ingest.ts), a backlog's debits together.

import { inclVat, priceSession } from '../../protocol/pricing.js'
import type { Tx } from '../db/client.js'
import type { Rate, UsageSession } from '../db/generated/sqlite/client.js'

export interface SessionCharge {
  billedMinutes: number
  chargeCents: number
  /** Debited from the member's credit, VAT included; 0 when nothing was charged. */
  debitCents: number
  /** The debit changes what agents decide: the space requires prepaid credit. */
  changesDecisions: boolean
}

/** The space's settings and the machine's rate a charge needs (a batch of events looks each up once). */
export interface ChargeLookups {
  space(spaceId: string): Promise<{ vatRateBps: number; requireCredit: boolean }>
  rate(machineId: string, priceGroupId: string): Promise<Rate | null>
}

export const chargeLookups = (tx: Tx): ChargeLookups => ({
  space: (id) => tx.space.findUniqueOrThrow({ where: { id }, select: { vatRateBps: true, requireCredit: true } }),
  rate: (machineId, priceGroupId) =>
    tx.rate.findUnique({ where: { machineId_priceGroupId: { machineId, priceGroupId } } }),
})

export type EndedSession = Pick<
  UsageSession,
  'spaceId' | 'machineId' | 'membershipId' | 'priceGroupId' | 'startedAt' | 'endedAt' | 'busySeconds' | 'chargeCents'
>

/** What `session`, as it is once ended, costs and debits; null when it was priced already (or has not ended). */
export async function chargeOf(session: EndedSession, lookups: ChargeLookups): Promise<SessionCharge | null> {
  if (!session.endedAt || session.chargeCents !== null) return null
  const rate = session.priceGroupId ? await lookups.rate(session.machineId, session.priceGroupId) : null
  // No rate for this machine and price group: the time is free, and recorded as such.
  const price = rate
    ? priceSession({ startedAt: session.startedAt, endedAt: session.endedAt, busySeconds: session.busySeconds }, rate)
    : { billedMinutes: 0, amountCents: 0 }
  const space = await lookups.space(session.spaceId)
  const debitCents = session.membershipId && price.amountCents > 0 ? inclVat(price.amountCents, space.vatRateBps) : 0
  return {
    billedMinutes: price.billedMinutes,
    chargeCents: price.amountCents,
    debitCents,
    changesDecisions: debitCents > 0 && space.requireCredit,
  }
}
