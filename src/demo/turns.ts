/**
 * The demo master's minions take turns on its one event loop, a few milliseconds at a time, with the
 * loop's sockets read between turns. A real master's event publisher is a process of its own: an event
 * fired on its pull socket goes out at once, between minion returns, however many come in. Without
 * turns, 10,000 minions answering within the same 10 ms ran back to back for over a second (Node runs
 * every timer that is due, and every promise continuation, before it reads a socket again), and the
 * demo held every event fired meanwhile (a `/hook`, another job's publish) for that long.
 */
export class Turns {
  private waiting: Array<() => Promise<unknown>> = [];
  private head = 0;
  private scheduled = false;

  constructor(
    private readonly sliceMs = 4,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Runs `work` in its turn. The turn lasts until `work` settles or waits for the event loop (a timer,
   * a socket): work that waits lets the next one go, and goes on by itself when its wait ends.
   */
  run<T>(work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push(() => {
        const done = work();
        done.then(resolve, reject);
        return done;
      });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.slice());
      }
    });
  }

  /** Runs the waiting work one after the other until the slice's time is used or the loop came round. */
  private async slice(): Promise<void> {
    const started = this.now();
    // Resolves in the event loop's next round: then some work waits on the loop, and the slice ends.
    let cameRound = false;
    const nextRound = new Promise<void>((resolve) =>
      setImmediate(() => {
        cameRound = true;
        resolve();
      }),
    );
    while (this.head < this.waiting.length && !cameRound && this.now() - started < this.sliceMs) {
      const done = this.waiting[this.head++]!();
      await Promise.race([done.catch(() => undefined), nextRound]);
    }
    if (this.head * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    if (this.head < this.waiting.length) setImmediate(() => void this.slice());
    else this.scheduled = false;
  }
}
