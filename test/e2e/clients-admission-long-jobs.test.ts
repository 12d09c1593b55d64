import { describe, expect, it, vi } from 'vitest';
import { capacity, ping, sampling, timedWave } from '../support/admission.js';
import { harness } from '../support/clients.js';

/**
 * The adaptive job limit (admission.ts) and long jobs (decision 0027): a job whose minions are seen
 * running it holds no place, and a call's own slowness is no sign that the master is behind. A file of
 * its own (from clients-admission.test.ts) so that its waits on real sleeps run beside the others.
 */

describe('long jobs: a job whose minions are busy holds no place', () => {
  it('go out at once after a burst the window kept in time', async () => {
    const h = await harness({
      demo: { minions: ['minion-1', 'minion-2'], capacity: { ...capacity, returnRetryMs: 5_000 } },
    });
    // LocalClient's check at 1 s sees the sleep running on its minions: the call is slow, by its own doing.
    const sleep = { client: 'local', tgt: '*', fun: 'test.sleep', arg: [2], token: h.token, timeout: 1 };
    await h.netapi.run(sleep);
    await Promise.all(Array.from({ length: 24 }, () => h.netapi.run(ping(h.token))));
    let mostQueued = 0;
    const stop = sampling(h, 5, () => {
      mostQueued = Math.max(mostQueued, h.netapi.jobAdmission?.().queued ?? 0);
    });
    try {
      const { results } = await timedWave(h, 16, sleep);
      for (const [result] of results) expect(result).toEqual({ 'minion-1': true, 'minion-2': true });
    } finally {
      stop();
    }
    expect(mostQueued).toBe(0);
    expect(h.netapi.jobAdmission?.()).toMatchObject({ limit: 1_024, active: 0, withMinions: 0 });
  });

  it('give their place back once seen running on their minions, after a sign cut the limit', async () => {
    const h = await harness({
      demo: { minions: ['minion-1', 'minion-2'] },
      admission: { fastWindowMs: 200, lateCheckMs: 1_000 },
      callLatency: { fastMs: 200 },
      tuning: { livenessIntervalMs: 100 },
    });
    // A return put on the bus twice: the master is behind; with no job out the limit drops to its least, 2.
    const copy = { id: 'minion-1', return: true, jid: '20260101000000000001', fun: 'test.ping' };
    h.demo.fireEvent('salt/job/20260101000000000001/ret/minion-1', copy);
    h.demo.fireEvent('salt/job/20260101000000000001/ret/minion-1', copy);
    await vi.waitFor(() => expect(h.netapi.jobAdmission?.().limit).toBe(2), { timeout: 5_000, interval: 10 });
    let mostWithMinions = 0;
    const stop = sampling(h, 5, () => {
      mostWithMinions = Math.max(mostWithMinions, h.netapi.jobAdmission?.().withMinions ?? 0);
    });
    try {
      const sleep = { client: 'local', tgt: '*', fun: 'test.sleep', arg: [4], token: h.token, timeout: 30 };
      const { results, published, finished } = await timedWave(h, 6, sleep);
      for (const [result] of results) expect(result).toEqual({ 'minion-1': true, 'minion-2': true });
      // Two at a time, each let go once a probe saw it running: none waited for another's whole run.
      expect(published).toHaveLength(6);
      expect(Math.max(...published)).toBeLessThan(Math.min(...finished) - 1_000);
    } finally {
      stop();
    }
    expect(mostWithMinions).toBeGreaterThan(2);
  });

  it('are not held back when the same call runs ten times longer than last time', async () => {
    // test.rand_sleep 3: no sleep the first time, three seconds every time after.
    let draws = 0;
    const h = await harness({
      demo: { minions: ['minion-1', 'minion-2'], random: () => (draws++ < 2 ? 0 : 0.99) },
      admission: { fastWindowMs: 200, lateCheckMs: 1_000 },
      callLatency: { fastMs: 200 },
      tuning: { livenessIntervalMs: 100 },
    });
    const randSleep = { client: 'local', tgt: '*', fun: 'test.rand_sleep', arg: ['max=3'], token: h.token };
    await h.netapi.run(randSleep); // fast: the window takes its jobs from now on
    // A `timeout` of 1 s: LocalClient's own check goes out then, and sees each job on its minions.
    const { results, published, finished } = await timedWave(h, 12, { ...randSleep, timeout: 1 });
    for (const [result] of results) expect(result).toEqual({ 'minion-1': true, 'minion-2': true });
    // The window lets 8 out; their own checks see them running on their minions, and the other 4 follow.
    expect(Math.max(...published)).toBeLessThan(Math.min(...finished) - 1_000);
    expect(h.netapi.jobAdmission?.().limit).toBe(1_024);
  });
});
