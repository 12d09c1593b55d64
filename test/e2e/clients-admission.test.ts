import { describe, expect, it, vi } from 'vitest';
import { capacity, ping, sampling } from '../support/admission.js';
import { harness } from '../support/clients.js';

/**
 * The adaptive job limit (admission.ts) against a demo master that falls behind: its minions send
 * returns again when the master does not take them in time, salt-apid sees the copies on the bus
 * and holds sync jobs back; every answer stays complete.
 */

/** Two waves of 24 sync calls; the second starts once the first's copies arrived (when adaptive). */
async function run(adaptive: boolean) {
  const h = await harness({ demo: { minions: ['minion-1', 'minion-2'], capacity }, adaptiveJobLimit: adaptive });
  const wave = () => Promise.all(Array.from({ length: 24 }, () => h.netapi.run(ping(h.token))));
  const first = await wave();
  if (adaptive) {
    // The copies come when the master is slow to take the returns: wait for the limit they set, however
    // long a busy machine takes (the assertion below says what the limit must be).
    await vi
      .waitFor(() => expect(h.netapi.jobAdmission?.().limit).toBeLessThan(1_024), { timeout: 15_000, interval: 20 })
      .catch(() => undefined);
  }
  const limitAfterFirst = h.netapi.jobAdmission?.().limit;
  let queuedAtMost = 0;
  const stop = sampling(h, 5, () => {
    queuedAtMost = Math.max(queuedAtMost, h.netapi.jobAdmission?.().queued ?? 0);
  });
  try {
    const second = await wave();
    return { results: [...first, ...second], limitAfterFirst, stats: h.netapi.jobAdmission?.(), queuedAtMost };
  } finally {
    stop();
  }
}

describe('the adaptive job limit', () => {
  it('holds sync jobs back once returns come twice, and every answer is complete', async () => {
    const { results, limitAfterFirst, stats, queuedAtMost } = await run(true);
    for (const [result] of results) expect(result).toEqual({ 'minion-1': true, 'minion-2': true });
    expect(limitAfterFirst).toBeLessThan(24);
    expect(queuedAtMost).toBeGreaterThan(0);
    expect(stats).toMatchObject({ active: 0, queued: 0 });
  });

  it('publishes every job at once with adaptive_job_limit: false', async () => {
    const { results, limitAfterFirst, stats, queuedAtMost } = await run(false);
    for (const [result] of results) expect(result).toEqual({ 'minion-1': true, 'minion-2': true });
    expect(limitAfterFirst).toBe(1_024);
    expect(stats?.limit).toBe(1_024);
    expect(queuedAtMost).toBe(0);
  });
});

describe('a liveness check answered late', () => {
  /** A master that falls behind but whose minions never send a return twice. */
  const noCopies = { ...capacity, returnMs: 150, returnRetryMs: 0 };

  it('holds sync jobs back with no return coming twice', async () => {
    const h = await harness({
      demo: { minions: ['minion-1', 'minion-2'], capacity: noCopies },
      admission: { lateCheckMs: 300 },
    });
    // A `timeout` of 1 s: LocalClient's own checks go out while the master works through the returns.
    const call = { ...ping(h.token), timeout: 1 };
    const wave = await Promise.all(Array.from({ length: 24 }, () => h.netapi.run(call)));
    for (const [result] of wave) expect(result).toEqual({ 'minion-1': true, 'minion-2': true });
    expect(h.netapi.jobAdmission?.().limit).toBeLessThan(24);
  });

  it('is not a minion that went down: its call waits for it, its answers are in time', async () => {
    const h = await harness({ demo: { minions: ['minion-1', 'minion-2'] }, admission: { lateCheckMs: 1_000 } });
    const call = { ...ping(h.token), timeout: 1, gather_job_timeout: 1 };
    await h.netapi.run(call);
    h.demo.stopMinion('minion-2');
    const results = await Promise.all(Array.from({ length: 4 }, () => h.netapi.run(call)));
    for (const [result] of results)
      expect(result).toMatchObject({ 'minion-1': true, 'minion-2': expect.stringContaining('did not return') });
    expect(h.netapi.jobAdmission?.().limit).toBe(1_024);
  });
});

describe('the fast window', () => {
  it('sends a burst of a call known to be fast out as the master gets through it', async () => {
    const h = await harness({
      demo: { minions: ['minion-1', 'minion-2'], capacity: { ...capacity, returnRetryMs: 0 } },
    });
    await h.netapi.run(ping(h.token));
    let mostOut = 0;
    let mostQueued = 0;
    const stop = sampling(h, 2, () => {
      const stats = h.netapi.jobAdmission?.();
      mostOut = Math.max(mostOut, stats?.active ?? 0);
      mostQueued = Math.max(mostQueued, stats?.queued ?? 0);
    });
    try {
      const wave = await Promise.all(Array.from({ length: 24 }, () => h.netapi.run(ping(h.token))));
      for (const [result] of wave) expect(result).toEqual({ 'minion-1': true, 'minion-2': true });
    } finally {
      stop();
    }
    expect(h.netapi.jobAdmission?.().limit).toBe(1_024);
    expect(mostQueued).toBeGreaterThan(0);
    expect(mostOut).toBeLessThan(24);
  });
});
