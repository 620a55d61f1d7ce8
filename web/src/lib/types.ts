// Shapes of the API's answers, as the web app reads them (see /api/docs/json).
export type Role = 'maker' | 'trainer' | 'staff' | 'admin'

export interface Membership {
  id: string
  role: Role
  suspended: boolean
  space: { slug: string; name: string; timeZone: string }
}

export interface Me {
  id: string
  email: string
  name: string
  memberships: Membership[]
}

export interface SpaceInfo {
  slug: string
  name: string
  timeZone: string
  currency: string
  /** VAT in basis points: 2000 = 20 %. */
  vatRateBps: number
  bookingWindowDays: number
  checkInMinutes: number
  noShowGraceMinutes: number
  requireCredit: boolean
  minCreditCents: number
  role: Role
}

export interface MachineLive {
  state: string
  since: string | null
  watts: number | null
  member: { id: string; name: string } | null
}

export interface Machine {
  slug: string
  name: string
  kind: string
  status: 'available' | 'out_of_service' | 'to_check' | string
  walkInAllowed: boolean
  cutPolicy: string
  idleThresholdWatts: number | null
  maxSessionMinutes: number | null
  maxBookingMinutes: number
  minNoticeMinutes: number
  requiredTrainings: string[]
  agent: string | null
  live: MachineLive
}

export interface Booking {
  id: string
  machine: string
  start: string
  end: string
  status: string
  mine: boolean
  member: { id: string; name: string; email: string } | null
  note: string | null
}

export interface Training {
  slug: string
  name: string
  validityDays: number | null
}

export interface Grant {
  training: string
  member: string
  grantedAt: string
  grantedBy: string | null
  expiresAt: string | null
}

export interface Member {
  id: string
  personId: string
  email: string
  name: string
  role: Role
  priceGroup: string | null
  suspended: boolean
  creditCents: number
  createdAt: string
  trainings: { training: string; grantedAt: string; expiresAt: string | null }[]
  badges: { uid: string; label: string | null; active: boolean }[]
}

export interface PriceGroup {
  slug: string
  name: string
}

export interface PersonRef {
  id: string
  name: string
  email: string
}

export interface UsageSession {
  id: string
  machine: string
  member: PersonRef | null
  badgeUid: string | null
  bookingId: string | null
  startedAt: string
  endedAt: string | null
  durationSeconds: number | null
  busySeconds: number | null
  billedMinutes: number | null
  /** Price excl. VAT in cents, set when the session ended. */
  chargeCents: number | null
  endCause: string | null
}

/** A machine's rate for a price group; amounts in cents excl. VAT. */
export interface Rate {
  machine: string
  priceGroup: string
  centsPerHour: number
  stepMinutes: number
  minimumCents: number
  noShowFeeCents: number
  billBusyOnly: boolean
}

export interface CreditEntry {
  id: string
  at: string
  amountCents: number
  kind: 'topup' | 'refund' | 'adjustment' | 'session' | string
  means: string | null
  reference: string | null
  sessionId: string | null
}

export interface Credit {
  balanceCents: number
  currency: string
  entries: CreditEntry[]
}

export interface InvoiceLine {
  position?: number
  kind: string
  machine: string
  description: string
  quantity: number
  unitCents: number
  amountExclCents: number
  vatRateBps: number
  vatCents: number
  sessionId: string | null
  bookingId: string | null
  at: string
}

export interface Totals {
  totalExclCents: number
  vatCents: number
  totalInclCents: number
}

export interface Invoice extends Totals {
  number: string
  kind: 'invoice' | 'credit_note' | string
  corrects: string | null
  member: PersonRef
  periodStart: string
  periodEnd: string
  issuedAt: string
  currency: string
  hash: string
  lines: InvoiceLine[]
}

/** What would be invoiced to one member (preview): nothing is issued. */
export interface InvoiceDraft extends Totals {
  member: { id: string; name: string }
  lines: InvoiceLine[]
}

export interface ChainCheck {
  ok: boolean
  checked: number
  problems: { number: string | null; seq: number; problem: string }[]
}

export interface AccessEvent {
  id: string
  at: string
  decision: 'granted' | 'denied' | string
  reason: string
  machine: string | null
  member: PersonRef | null
  badgeUid: string
}

export interface AgentInfo {
  slug: string
  name: string
  online: boolean
  lastSeenAt: string | null
  version: string | null
  rightsVersion: number
  heldRightsVersion: number
  pendingEvents: number
  ackedSeq: number
  machines: string[]
}

export interface Badge {
  uid: string
  label: string | null
  active: boolean
  lastSeenAt: string | null
  member: PersonRef
}

export interface UnknownBadge {
  uid: string
  machine: string | null
  at: string
}

export interface SimulatedMachine {
  machine: string
  state: string
  relayOn: boolean | null
}

export interface DailyUsage {
  timeZone: string
  days: { date: string; machine: string; sessions: number; seconds: number }[]
}

/** Live payloads pushed by the server over socket.io (server/live.ts). */
export interface LiveMachineState {
  machine: string
  state: string | null
  since?: string
  at?: string
  watts?: number | null
}
export interface LiveSessionStarted {
  machine: string
  member: { id: string; name: string } | null
  at: string
  sessionId: string
}
export interface LiveSessionEnded {
  machine: string
  at: string
  sessionId: string
  durationSeconds: number
  endCause: string
}
export interface LiveAccessDecision {
  machine: string | null
  decision: string
  reason: string
  badgeUid: string
  member: { id: string; name: string } | null
  at: string
}
export interface LiveBookingChanged {
  id: string
  machine: string
  start: string
  end: string
  status: string
}
export interface LiveAgentStatus {
  agent: string
  online?: boolean
  version?: string | null
  rightsVersion?: number | null
  at?: string
  enrolled?: { badgeUid: string; memberId: string }
}
