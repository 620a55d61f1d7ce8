// Charging machine time: a session is priced once, when it ends, with the rate of the
// member's price group at the session's start, and debited from the member's credit in the
// same transaction as its storage (so a replayed event never charges twice).

import { inclVat, priceSession } from '../../protocol/pricing.js'
import type { Tx } from '../db/client.js'

export interface SessionCharge {
  billedMinutes: number
  chargeCents: number
  /** Debited from the member's credit, VAT included; 0 when nothing was charged. */
  debitCents: number
  /** The debit changes what agents decide: the space requires prepaid credit. */
  changesDecisions: boolean
}

export async function chargeEndedSession(tx: Tx, sessionId: string): Promise<SessionCharge | null> {
  const session = await tx.usageSession.findUnique({
    where: { id: sessionId },
    include: { space: { select: { vatRateBps: true, requireCredit: true } } },
  })
  if (!session?.endedAt || session.chargeCents !== null) return null
  const rate = session.priceGroupId
    ? await tx.rate.findUnique({
        where: { machineId_priceGroupId: { machineId: session.machineId, priceGroupId: session.priceGroupId } },
      })
    : null
  // No rate for this machine and price group: the time is free, and recorded as such.
  const price = rate
    ? priceSession({ startedAt: session.startedAt, endedAt: session.endedAt, busySeconds: session.busySeconds }, rate)
    : { billedMinutes: 0, amountCents: 0 }
  await tx.usageSession.update({
    where: { id: session.id },
    data: { billedMinutes: price.billedMinutes, chargeCents: price.amountCents },
  })
  const debitCents =
    session.membershipId && price.amountCents > 0 ? inclVat(price.amountCents, session.space.vatRateBps) : 0
  if (debitCents > 0 && session.membershipId) {
    await tx.creditEntry.create({
      data: {
        spaceId: session.spaceId,
        membershipId: session.membershipId,
        amountCents: -debitCents,
        kind: 'session',
        sessionId: session.id,
        at: session.endedAt,
      },
    })
    await tx.membership.update({
      where: { id: session.membershipId },
      data: { creditCents: { decrement: debitCents } },
    })
  }
  return {
    billedMinutes: price.billedMinutes,
    chargeCents: price.amountCents,
    debitCents,
    changesDecisions: debitCents > 0 && session.space.requireCredit,
  }
}
