// One machine at the agent: its reader and relay, its session, its time rules.
// A tap → one decision (protocol/access-policy.ts) → events recorded in the outbox →
// feedback → relay. Sessions end on the same badge, the booking's end (warning, then
// grace), power-sensed idleness, the maximum length, a staff command or a device fault.
// A when-idle machine (laser mid-job, printer) is never cut while it draws power.
// After any cut, power comes back only through a new badge decision.

import { randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { type Decision, decide } from '../../protocol/access-policy.js'
import type { MachineState } from '../../protocol/mqtt.js'
import type { RightsIndex } from '../../protocol/rights.js'
import type { BadgeReader, Relay } from '../devices/types.js'
import type { AgentStore, StoredSession } from './outbox.js'

export interface MachineOptions {
  machine: string
  /** Watts under which the machine counts as idle (overrides the snapshot's threshold). */
  idleBelowWatts?: number
  /** Minutes under the idle threshold after which a session ends by itself. */
  idleMinutes: number
  /** Warning this long before a booking's end, then this grace after it. */
  warningMinutes: number
  graceMinutes: number
}

export type EndCause = 'same_badge' | 'booking_end' | 'idle' | 'staff' | 'max_duration' | 'fault' | 'restart'

export interface ControllerEvents {
  state: [state: MachineState]
  decision: [decision: Decision & { badgeUid: string }]
}

export class MachineController extends EventEmitter<ControllerEvents> {
  readonly machine: string
  private session: StoredSession | null = null
  /** A cut waiting for the machine to go idle (when_idle policy). */
  private pendingCut: EndCause | null = null
  private idleSince: number | null = null
  private lastPowerAt: number | null = null
  /** The power reading in force since lastPowerAt (the relay already holds the new one). */
  private lastWatts: number | null = null
  private warned = false
  private faults = new Set<'reader' | 'relay'>()

  constructor(
    private options: MachineOptions,
    private reader: BadgeReader,
    private relay: Relay,
    private store: AgentStore,
    private rights: () => RightsIndex | null,
    private now: () => number = Date.now,
  ) {
    super()
    this.machine = options.machine
    reader.on('tap', (uid) => void this.tap(uid))
    for (const [device, emitter] of [
      ['reader', reader],
      ['relay', relay],
    ] as const) {
      emitter.on('health', (h) => this.deviceHealth(device, h.ok, h.reason))
    }
    relay.on('power', (watts) => this.power(watts))
  }

  get state(): MachineState {
    if (this.faults.size) return 'fault'
    return this.session ? 'in_use' : 'idle'
  }
  get watts() {
    return this.relay.watts
  }
  get activeSession() {
    return this.session
  }

  private policy() {
    return this.rights()?.machines.get(this.machine)
  }
  private idleThreshold(): number | null {
    return this.options.idleBelowWatts ?? this.policy()?.idleThresholdWatts ?? null
  }
  private record(type: string, body: Record<string, unknown>) {
    return this.store.record(type, this.machine, body, new Date(this.now()))
  }

  /** At start: the relay goes off unless a recorded session is still valid. */
  async restore() {
    const saved = this.store.session(this.machine)
    const now = this.now()
    if (saved && (saved.until === null || saved.until > now)) {
      this.session = saved
      await this.switchRelay(true)
      return
    }
    if (saved) {
      // The agent was down: the session ended when it was last known to run.
      this.session = saved
      this.finish('restart', Math.min(now, saved.aliveAt))
    }
    await this.switchRelay(false)
    this.emit('state', this.state)
  }

  async tap(badgeUid: string) {
    const now = this.now()
    const index = this.rights()
    const running = this.session
    if (running && running.badgeUid === badgeUid) {
      this.reader.feedback('off')
      // The tap and the end of the session it closes: one commit, like a start.
      await this.end('same_badge', () =>
        this.record('access.granted', { badgeUid, memberId: running.memberId, reason: 'session_end' }),
      )
      return
    }
    const decision: Decision = index
      ? decide(index, {
          badgeUid,
          machine: this.machine,
          at: now,
          activeSessionMemberId: running?.memberId ?? null,
          deviceFault: this.faults.size > 0,
        })
      : { decision: 'denied', reason: 'snapshot_expired' }
    const body: Record<string, unknown> = { badgeUid, reason: decision.reason, memberId: decision.memberId ?? null }
    if (decision.decision === 'denied' && decision.training) body.training = decision.training
    const granted = decision.decision === 'granted'
    const recordDecision = () => this.record(granted ? 'access.granted' : 'access.denied', body)
    const tell = () => {
      this.emit('decision', { ...decision, badgeUid })
      this.reader.feedback(granted ? 'granted' : 'denied')
    }
    if (!granted || running) {
      recordDecision()
      tell()
      // Staff badging a machine someone else is using stops that session.
      if (granted) await this.end('staff')
      return
    }
    await this.start(
      {
        badgeUid,
        memberId: decision.memberId,
        memberName: decision.memberName,
        bookingId: decision.bookingId ?? null,
        until: decision.until,
      },
      { recordDecision, tell },
    )
  }

  /** Remote unlock by staff. */
  async unlock(memberId: string | null, by: string) {
    if (this.session) return
    await this.start({ badgeUid: null, memberId, memberName: null, bookingId: null, until: null, by })
  }

  /** Remote lock by staff (a when-idle machine is cut once idle). */
  async lock() {
    if (this.session) await this.end('staff')
  }

  private async start(
    s: {
      badgeUid: string | null
      memberId: string | null
      memberName: string | null
      bookingId: string | null
      until: number | null
      by?: string
    },
    decision?: { recordDecision: () => void; tell: () => void },
  ) {
    const now = this.now()
    const maxMinutes = this.policy()?.maxSessionMinutes
    const until = maxMinutes ? Math.min(s.until ?? Number.POSITIVE_INFINITY, now + maxMinutes * 60_000) : s.until
    const session: StoredSession = {
      machine: this.machine,
      sessionId: randomUUID(),
      memberId: s.memberId,
      memberName: s.memberName,
      badgeUid: s.badgeUid,
      bookingId: s.bookingId,
      startedAt: now,
      until: until === Number.POSITIVE_INFINITY ? null : until,
      busyMs: 0,
      aliveAt: now,
    }
    // Recorded before the relay moves, in one commit with the decision that opened it (the
    // store flushes it to disk right after, off the tap's way): a crash right after still
    // knows the session.
    this.store.atomically(() => {
      decision?.recordDecision()
      this.record('session.started', {
        sessionId: session.sessionId,
        badgeUid: s.badgeUid,
        memberId: s.memberId,
        bookingId: s.bookingId,
        until: session.until ? new Date(session.until).toISOString() : null,
        ...(s.by ? { by: s.by } : {}),
      })
      this.store.saveSession(session)
    })
    decision?.tell()
    this.session = session
    this.warned = false
    this.pendingCut = null
    this.idleSince = null
    this.lastPowerAt = now
    this.lastWatts = this.relay.watts
    try {
      await this.switchRelay(true)
    } catch (error) {
      this.record('device.fault', { device: 'relay', ok: false, reason: (error as Error).message })
      this.finish('fault', this.now())
      return
    }
    this.emit('state', this.state)
  }

  /**
   * Ends the session now, or once idle for a when-idle machine drawing power. `recordTap`
   * records the tap that asked for it, in the same write as the session's end.
   */
  private async end(cause: EndCause, recordTap?: () => void) {
    if (!this.session) return
    const threshold = this.idleThreshold()
    const drawing =
      this.policy()?.cutPolicy === 'when_idle' && threshold !== null && (this.relay.watts ?? 0) > threshold
    if (drawing && cause !== 'fault') {
      recordTap?.()
      this.pendingCut = cause
      return
    }
    this.finish(cause, this.now(), recordTap)
    await this.switchRelay(false).catch((error: Error) =>
      this.record('device.fault', { device: 'relay', ok: false, reason: error.message }),
    )
    this.emit('state', this.state)
  }

  /**
   * Records the session's end (after the tap that asked for it, if any) and forgets the
   * session, in one commit (flushed to disk right after, off the tap's way).
   */
  private finish(cause: EndCause, at: number, recordTap?: () => void) {
    const s = this.session
    if (!s) return
    this.accountBusy(at)
    this.store.atomically(() => {
      recordTap?.()
      this.record('session.ended', {
        sessionId: s.sessionId,
        badgeUid: s.badgeUid,
        memberId: s.memberId,
        endCause: cause,
        durationSeconds: Math.max(0, Math.round((at - s.startedAt) / 1000)),
        busySeconds: this.relay.watts === null ? null : Math.round(s.busyMs / 1000),
      })
      this.store.clearSession(this.machine)
    })
    this.session = null
    this.pendingCut = null
  }

  /**
   * Relay commands run one after the other: an "off" decided while an "on" is still being
   * written (or confirmed by a plug) must wait for it, or it would see the relay still off,
   * skip, and leave the machine powered without a session.
   */
  private switchRelay(on: boolean): Promise<void> {
    const next = this.relayCommands.then(async () => {
      if (this.relay.isOn === on && !on) return
      await this.relay.set(on)
    })
    this.relayCommands = next.catch(() => {})
    return next
  }
  private relayCommands: Promise<void> = Promise.resolve()

  private accountBusy(at: number) {
    const s = this.session
    if (!s || this.lastPowerAt === null) return
    const threshold = this.idleThreshold()
    if (threshold !== null && (this.lastWatts ?? 0) > threshold) s.busyMs += at - this.lastPowerAt
    this.lastPowerAt = at
  }

  private power(watts: number) {
    const now = this.now()
    this.accountBusy(now)
    this.lastWatts = watts
    const threshold = this.idleThreshold()
    if (threshold === null) return
    if (watts > threshold) this.idleSince = null
    else this.idleSince ??= now
    if (this.pendingCut && watts <= threshold) void this.end(this.pendingCut)
  }

  private deviceHealth(device: 'reader' | 'relay', ok: boolean, reason?: string) {
    const had = this.faults.has(device)
    if (ok === !had) return
    if (ok) this.faults.delete(device)
    else this.faults.add(device)
    this.record('device.fault', { device, ok, reason: reason ?? null })
    this.emit('state', this.state)
  }

  /** Time rules, run every second by the agent (fake timers in tests). */
  async tick() {
    const s = this.session
    if (!s) return
    const now = this.now()
    this.accountBusy(now)
    if (now - s.aliveAt >= 30_000) {
      s.aliveAt = now
      this.store.saveSession(s)
    }
    const threshold = this.idleThreshold()
    if (this.pendingCut && threshold !== null && (this.relay.watts ?? 0) <= threshold) return this.end(this.pendingCut)
    if (s.until !== null) {
      const warnAt = s.until - this.options.warningMinutes * 60_000
      if (!this.warned && now >= warnAt && now < s.until) {
        this.warned = true
        this.reader.feedback('warning')
      }
      if (now >= s.until + this.options.graceMinutes * 60_000) {
        const maxMinutes = this.policy()?.maxSessionMinutes
        const cause = maxMinutes && s.until === s.startedAt + maxMinutes * 60_000 ? 'max_duration' : 'booking_end'
        return this.end(cause)
      }
    }
    if (
      this.idleSince !== null &&
      now - this.idleSince >= this.options.idleMinutes * 60_000 &&
      now - s.startedAt >= this.options.idleMinutes * 60_000
    ) {
      return this.end('idle')
    }
  }
}
