import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { sleep } from '../../src/demo/sleep.js';

describe("the demo master's sleep", () => {
  it('puts one abort listener on a signal however many sleep on it, and wakes every sleeper', async () => {
    const controller = new AbortController();
    const sleeps = Array.from({ length: 1_000 }, () => sleep(0, controller.signal));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    await Promise.all(sleeps);
    await sleep(0, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
  });

  it('rejects every pending sleeper with the reason when the signal aborts, and any later one at once', async () => {
    const controller = new AbortController();
    const pending = Array.from({ length: 3 }, () => sleep(60_000, controller.signal));
    const done = sleep(0, controller.signal);
    await done;
    controller.abort(new Error('stopped'));
    for (const sleeper of pending) await expect(sleeper).rejects.toThrow('stopped');
    await expect(sleep(0, controller.signal)).rejects.toThrow('stopped');
  });
});
