import { describe, expect, it } from 'vitest';
import { Turns } from '../../src/demo/turns.js';

/** Counts the event loop's rounds (an immediate runs once a round) until stopped. */
function loopRounds(): { readonly count: number; stop(): void } {
  let count = 0;
  let stopped = false;
  const tick = (): void => {
    count++;
    if (!stopped) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    get count() {
      return count;
    },
    stop: () => (stopped = true),
  };
}

describe("the demo master's turns", () => {
  it('run work in order, a slice at a time, with the event loop between slices', async () => {
    let clock = 0;
    const turns = new Turns(4, () => clock);
    const rounds = loopRounds();
    const seen: Array<[number, number]> = [];
    // Each piece of work takes 1 ms of the clock in steps of promise continuations, as a minion's job does.
    const work = async (i: number): Promise<number> => {
      await Promise.resolve();
      clock += 0.5;
      await Promise.resolve();
      clock += 0.5;
      seen.push([i, rounds.count]);
      return i;
    };
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => turns.run(() => work(i))));
    rounds.stop();
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(seen.map(([i]) => i)).toEqual(results);
    // 4 ms a slice: five slices of four, and the loop came round between each two.
    const slices = [...new Set(seen.map(([, round]) => round))];
    expect(slices).toHaveLength(5);
    for (const round of slices) expect(seen.filter(([, r]) => r === round)).toHaveLength(4);
  });

  it('let the next work go when one waits for the event loop, and pass on failures', async () => {
    const turns = new Turns(1_000);
    const order: string[] = [];
    // The slow work waits on the loop until the quick one has failed: were the quick one held back
    // until the slow one settles, neither would (and the test would time out).
    let release = (): void => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const slow = turns.run(async () => {
      order.push('slow waits');
      await released;
      order.push('slow');
    });
    const quick = turns.run(async () => {
      order.push('quick');
      throw new Error('refused');
    });
    await expect(quick).rejects.toThrow('refused');
    release();
    await slow;
    expect(order).toEqual(['slow waits', 'quick', 'slow']);
  });
});
