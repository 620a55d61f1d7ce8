// Server codes in words: API errors next to forms, access decisions in the workshop.
import { type ApiError, isApiError } from '../api'
import { dynamicKey, type Key, type Translate } from './i18n'
import { formatTime } from './time'

export interface Names {
  /** Training slug → its name. */
  training?: (slug: string) => string
  /** Machine slug → its name. */
  machine?: (slug: string) => string
  timeZone?: string
}

/** A clear sentence for a failed request, in the UI's language. */
export function describeError(error: unknown, t: Translate, names: Names = {}): string {
  if (!isApiError(error)) return t('error_generic', { code: String(error) })
  const e = error as ApiError
  if (e.code === 'NETWORK') return t('error_network')
  const details = e.details ?? {}
  switch (e.code) {
    case 'TRAINING_REQUIRED': {
      const missing = Array.isArray(details.missing) ? (details.missing as string[]) : []
      const list = missing.map((s) => names.training?.(s) ?? s).join(', ')
      return t('error_TRAINING_REQUIRED', { missing: list || e.message })
    }
    case 'BOOKING_CONFLICT': {
      const c = details.conflict as { start?: string; end?: string } | undefined
      const when =
        c?.start && c.end && names.timeZone
          ? `${formatTime(c.start, names.timeZone)}–${formatTime(c.end, names.timeZone)}`
          : ''
      return t('error_BOOKING_CONFLICT', { conflict: when }).replace(' ()', '')
    }
    case 'BOOKING_TOO_FAR_AHEAD': {
      const m = /(\d+) days/.exec(e.message)
      return t('error_BOOKING_TOO_FAR_AHEAD', { days: m?.[1] ?? '?' })
    }
    case 'VALIDATION_FAILED':
    case 'BOOKING_TOO_SOON':
      return t(`error_${e.code}`, { message: e.message })
  }
  const key = dynamicKey('error_', e.code, 'error_generic')
  return t(key, { code: e.code, message: e.message })
}

/** "Bob Durand refusé : formation Découpe laser requise" */
export function describeDecision(
  d: {
    decision: string
    reason: string
    badgeUid: string
    member: { name: string } | null
    machine: string | null
    /** The training the agent found missing, when it says (live decisions). */
    training?: string | null
  },
  t: Translate,
  names: Names & { machineTrainings?: (machine: string) => string[] } = {},
): string {
  const who = d.member?.name ?? t('unknownBadge', { uid: d.badgeUid })
  const fallback: Key = d.decision === 'granted' ? 'reason_granted' : 'reason_denied'
  let training = ''
  if (d.reason === 'training_missing' || d.reason === 'training_expired') {
    const slugs = d.training ? [d.training] : d.machine ? (names.machineTrainings?.(d.machine) ?? []) : []
    training = slugs.map((s) => names.training?.(s) ?? s).join(', ')
  }
  const reason = t(dynamicKey('reason_', d.reason, fallback), { training }).replace(/\s{2,}/g, ' ')
  return t(d.decision === 'granted' ? 'decisionGranted' : 'decisionDenied', { who, reason })
}

export const stateKey = (state: string | null | undefined): Key =>
  dynamicKey('state_', state ?? 'offline', 'state_offline')
export const statusKey = (status: string): Key => dynamicKey('status_', status, 'status_available')
export const causeKey = (cause: string | null): Key => dynamicKey('cause_', cause ?? 'unknown', 'cause_unknown')
