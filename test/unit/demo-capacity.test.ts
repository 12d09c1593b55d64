import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_CAPACITY, parseCapacity, SimulatedCpu } from '../../src/demo/capacity.js';

/** The demo master's capacity model (src/demo/capacity.ts). */

describe('parseCapacity', () => {
  it('reads any subset of the fields over the default', () => {
    expect(parseCapacity('')).toEqual(DEFAULT_CAPACITY);
    expect(parseCapacity('publish=5, return=1,cores=3,job=2,find_job=0,retry=0,retries=1,shared=0')).toEqual({
      publishMs: 5,
      returnMs: 1,
      masterCores: 3,
      jobMs: 2,
      findJobMs: 0,
      returnRetryMs: 0,
      returnRetries: 1,
      sharedMachine: false,
    });
  });

  it.each(['publish', 'publish=', 'publish=-1', 'publish=x', 'disk=3', '__proto__=1', 'constructor=1'])(
    'refuses %j',
    (text) => {
      expect(() => parseCapacity(text)).toThrow(/capacity: expected name=ms/);
    },
  );
});

describe('SimulatedCpu', () => {
  it('runs work first come, first served on its cores', async () => {
    // On fake time: the four take two slots, which a busy machine would stretch on real timers.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const cpu = new SimulatedCpu(2, new AbortController().signal);
      const started = performance.now();
      const finished: Array<[number, number]> = [];
      const all = Promise.all([0, 1, 2, 3].map((n) => cpu.run(40).then(() => finished.push([n, performance.now()]))));
      await vi.advanceTimersByTimeAsync(200);
      await all;
      // Two at a time: the first two finish first, at 40 ms, and the other two at 80, not 40 or 160.
      expect(new Set(finished.slice(0, 2).map(([n]) => n))).toEqual(new Set([0, 1]));
      expect(finished.map(([, at]) => at - started)).toEqual([40, 40, 80, 80]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('holds a core while other work runs', async () => {
    const cpu = new SimulatedCpu(1, new AbortController().signal);
    const order: string[] = [];
    await Promise.all([
      cpu.hold(async () => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        order.push('held');
      }),
      cpu.run(1).then(() => order.push('queued')),
    ]);
    expect(order).toEqual(['held', 'queued']);
    expect(cpu.backlog).toBe(0);
  });
});
