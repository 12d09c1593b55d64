/**
 * How many jobs of fast calls may be out at the master at once (admission.ts, docs/decisions/0015):
 * as many as such jobs finished in the last `windowMs`, and at least `burst`. For a call that took
 * at most `windowMs` at best, that many out keep the master as busy as it can be (by Little's law,
 * its rate times the call's time), so the window can always grow to what the master gets
 * through; more only wait in its queues. `windowMs` must therefore be at least call-latency.ts's
 * `fastMs`. A burst of fast calls after a quiet spell goes out as fast as the master gets through
 * it, not all at once, and a slow call (a `state.apply` of minutes) never takes a place here; a
 * fast call's job that runs long for its own reasons gives its place back once its minions are
 * seen running it (admission.ts).
 */

/** What call-latency.ts knows of a call: fast, slow, or not measured yet. */
export type CallSpeed = 'fast' | 'slow' | 'unmeasured';

export class FastWindow {
  private out = 0;
  /** When jobs of fast calls finished lately, oldest first. */
  private readonly done: number[] = [];

  /** `onFree` is told when a place was given back before its job finished. */
  constructor(
    private readonly burst: number,
    private readonly windowMs: number,
    private readonly onFree: () => void,
  ) {}

  /** Whether one more job of a fast (or not yet measured) call may go out now. */
  hasRoom(now = performance.now()): boolean {
    const since = now - this.windowMs;
    let stale = 0;
    while (stale < this.done.length && (this.done[stale] ?? 0) < since) stale++;
    if (stale > 0) this.done.splice(0, stale);
    return this.out < Math.max(this.burst, this.done.length);
  }

  /**
   * Takes a place for a job; returns the function that gives it back: `finished` when the job
   * finished (it counts as done), not when its minions were seen running it (admission.ts). A job of
   * a call not measured yet gives its place back after `windowMs` if it is still out: it is not fast.
   */
  take(speed: Exclude<CallSpeed, 'slow'>): (finished: boolean) => void {
    this.out++;
    let held = true;
    const free = (finished: boolean): void => {
      if (!held) return;
      held = false;
      clearTimeout(timer);
      this.out--;
      if (finished) this.done.push(performance.now());
    };
    const timer =
      speed === 'unmeasured'
        ? setTimeout(() => {
            free(false);
            this.onFree();
          }, this.windowMs).unref()
        : undefined;
    return free;
  }
}
