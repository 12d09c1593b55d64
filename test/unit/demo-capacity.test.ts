import { describe, expect, it } from 'vitest';
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
    const cpu = new SimulatedCpu(2, new AbortController().signal);
    const started = performance.now();
    const finished: number[] = [];
    await Promise.all([0, 1, 2, 3].map((n) => cpu.run(40).then(() => finished.push(n))));
    const elapsed = performance.now() - started;
    // Two at a time: the first two finish first, and the four take two slots, not one or four.
    expect(new Set(finished.slice(0, 2))).toEqual(new Set([0, 1]));
    expect(elapsed).toBeGreaterThanOrEqual(79);
    expect(elapsed).toBeLessThan(160);
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
