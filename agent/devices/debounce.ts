// Readers repeat a held card (RDM6300 about every 50 ms, our sketch every 200 ms, Tasmota
// every ~2 s): one presentation is one tap. A UID counts again only once it has been
// absent for `absentMs`.
export const DEFAULT_ABSENT_MS = 500
/** How many distinct recent UIDs one reader remembers; older ones are forgotten first. */
const MAX_REMEMBERED = 64

export class TapDebouncer {
  private lastSeen = new Map<string, number>()

  constructor(
    readonly absentMs = DEFAULT_ABSENT_MS,
    // Read Date.now at call time, so vi.useFakeTimers() installed later still applies.
    private now: () => number = () => Date.now(),
  ) {}

  /** True when this sighting starts a new presentation of the card. */
  seen(uid: string): boolean {
    const t = this.now()
    const last = this.lastSeen.get(uid)
    // Re-insert so the map stays ordered by last sighting (oldest first).
    this.lastSeen.delete(uid)
    this.lastSeen.set(uid, t)
    for (const [k, v] of this.lastSeen) {
      if (this.lastSeen.size <= MAX_REMEMBERED && t - v <= this.absentMs) break
      this.lastSeen.delete(k)
    }
    // A clock that went backwards (NTP step) must not swallow taps forever.
    return last === undefined || t - last > this.absentMs || t < last
  }

  /** How many cards it currently remembers (bounded). */
  get remembered() {
    return this.lastSeen.size
  }

  /** Forget every card (e.g. after the reader was unplugged). */
  reset() {
    this.lastSeen.clear()
  }
}
