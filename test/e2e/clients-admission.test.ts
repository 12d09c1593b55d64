import { describe, expect, it, vi } from 'vitest';
import type { SaltMap } from '../../src/salt/codec/values.js';
import { DEFAULT_CAPACITY } from '../../src/demo/capacity.js';
import { harness, type NetapiHarness } from '../support/clients.js';

/**
 * The adaptive job limit (admission.ts) against a demo master that falls behind: its minions send
 * returns again when the master does not take them in time, salt-apid sees the copies on the bus
 * and holds sync jobs back; every answer stays complete.
 */

const capacity = {
  ...DEFAULT_CAPACITY,
  publishMs: 5,
  returnMs: 30,
  masterCores: 1,
  jobMs: 1,
  findJobMs: 1,
  returnRetryMs: 150,
  sharedMachine: false,
};

/** A sync `test.ping` on every minion, with time to spare. */
const ping = (token: string) => ({ client: 'local', tgt: '*', fun: 'test.ping', token, timeout: 30 });

/**
 * Calls `sample` every `ms` and also at each request salt-apid sends the master (a publish changes the
 * counts), so that a machine too busy to keep a short interval still has every job's publish seen.
 */
function sampling(h: NetapiHarness, ms: number, sample: () => void): () => void {
  const { channel } = h.master;
  const request = channel.request.bind(channel);
  channel.request = (load, options) => {
    sample();
    const answer = request(load, options);
    sample();
    return answer;
  };
  const timer = setInterval(sample, ms);
  return () => {
    clearInterval(timer);
    channel.request = request;
  };
}

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

/**
 * When each job of `fun` was published, and when each call finished (performance.now()), for
 * `count` calls of `chunk` made at once.
 */
async function timedWave(h: NetapiHarness, count: number, chunk: SaltMap) {
  const published: number[] = [];
  const { channel } = h.master;
  const request = channel.request.bind(channel);
  channel.request = (load, options) => {
    if (load['cmd'] === 'publish' && load['fun'] === chunk['fun']) published.push(performance.now());
    return request(load, options);
  };
  const finished: number[] = [];
  try {
    const results = await Promise.all(
      Array.from({ length: count }, () => h.netapi.run(chunk).finally(() => finished.push(performance.now()))),
    );
    return { results, published, finished };
  } finally {
    channel.request = request;
  }
}

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
