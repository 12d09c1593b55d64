/**
 * Deliveries seen within a rule's `replay_window`, by the digest of their signed body
 * (delivery.ts): one seen inside it is a replay (or a retry of one already fired), acknowledged
 * without firing again. Bounded: past `maxEntries` the oldest are forgotten first.
 */
export class ReplayWindow {
  /** key → when it may be forgotten (ms, performance.now() scale), in insertion order. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly maxEntries = 100_000) {}

  /**
   * Claims a delivery: true when `key` is new within its window (it is recorded), false for a
   * replay. A caller that then fails to act on the delivery gives it back with {@link release},
   * so the sender's retry is not lost.
   */
  claim(key: string, windowSeconds: number, now = performance.now()): boolean {
    if (windowSeconds <= 0) return true;
    this.sweep(now);
    const until = this.seen.get(key);
    if (until !== undefined && until > now) return false;
    this.seen.delete(key);
    if (this.seen.size >= this.maxEntries) {
      const oldest = this.seen.keys().next();
      if (oldest.done !== true) this.seen.delete(oldest.value);
    }
    this.seen.set(key, now + windowSeconds * 1000);
    return true;
  }

  release(key: string): void {
    this.seen.delete(key);
  }

  get size(): number {
    return this.seen.size;
  }

  /** Forgets expired ids from the oldest end (windows differ per rule, so it stops at a live one). */
  private sweep(now: number): void {
    for (const [key, until] of this.seen) {
      if (until > now) break;
      this.seen.delete(key);
    }
  }
}
