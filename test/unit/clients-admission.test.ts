import { describe, expect, it, vi } from 'vitest';
import { JobAdmission, type AdmissionOptions, type AdmittedJob } from '../../src/salt/clients/admission/admission.js';

/** The adaptive limit on sync jobs out at the master (admission.ts). */

const options = (overrides: Partial<AdmissionOptions> = {}): AdmissionOptions => ({
  enabled: true,
  targetMs: 100,
  lateCheckMs: 100,
  growEveryMs: 60_000,
  recoveryMs: 60_000,
  min: 1,
  max: 10,
  fastBurst: 2,
  fastWindowMs: 1_000,
  ...overrides,
});

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Takes `n` places at once. */
async function hold(admission: JobAdmission, n: number): Promise<AdmittedJob[]> {
  return Promise.all(Array.from({ length: n }, () => admission.acquire()));
}

describe('JobAdmission', () => {
  it('admits up to the limit and queues the rest in order', async () => {
    const admission = new JobAdmission(options({ max: 2 }));
    const [first] = await hold(admission, 2);
    const order: number[] = [];
    const third = admission.acquire().then((job) => (order.push(3), job));
    const fourth = admission.acquire().then((job) => (order.push(4), job));
    await tick();
    expect(admission.stats()).toEqual({ limit: 2, active: 2, withMinions: 0, queued: 2 });
    first?.finished();
    first?.finished(); // a second call gives nothing back twice
    await tick();
    expect(order).toEqual([3]);
    expect(admission.stats()).toEqual({ limit: 2, active: 2, withMinions: 0, queued: 1 });
    (await third).finished();
    await fourth;
    expect(order).toEqual([3, 4]);
  });

  it('holds nobody back while the master keeps up, however long the jobs run', async () => {
    const admission = new JobAdmission(options({ max: 1_024 }));
    await hold(admission, 300);
    for (let i = 0; i < 50; i++) admission.observe(10, i);
    expect(admission.stats()).toEqual({ limit: 1_024, active: 300, withMinions: 0, queued: 0 });
  });

  it('halves to the jobs out at a sign the master is behind, once per episode', async () => {
    const admission = new JobAdmission(options());
    await hold(admission, 8);
    admission.congested(100, 1_000);
    admission.congested(900, 1_100); // first seen before that cut: the same episode
    admission.observe(500, 950); // a slow publish sent before it too
    expect(admission.stats().limit).toBe(4);
    admission.observe(500, 1_050); // a slow publish sent after it
    expect(admission.stats().limit).toBe(2);
    // The slow publish cut at the real clock: later signs come after it.
    for (let i = 0, t = performance.now() + 1; i < 10; i++, t += 2) admission.congested(t, t + 1);
    expect(admission.stats().limit).toBe(1);
  });

  it('grows by one a tick while jobs are held back, letting them in', async () => {
    const admission = new JobAdmission(options({ growEveryMs: 20 }));
    await hold(admission, 4);
    admission.congested(1, performance.now());
    expect(admission.stats().limit).toBe(2);
    const waiting = [admission.acquire(), admission.acquire()];
    await tick();
    expect(admission.stats()).toMatchObject({ active: 4, queued: 2 });
    admission.observe(10); // a quick publish is no reason to grow
    expect(admission.stats().limit).toBe(2);
    await Promise.all(waiting); // two ticks: limit 4 → still full, 5, 6
    expect(admission.stats()).toMatchObject({ active: 6, queued: 0 });
    expect(admission.stats().limit).toBeGreaterThanOrEqual(6);
  });

  it('lifts the limit once no job was held back for the recovery time', async () => {
    // Its clock and growth ticks are fake: the recovery time passes when the test says so.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
    try {
      const admission = new JobAdmission(options({ growEveryMs: 10, recoveryMs: 40 }));
      await hold(admission, 8);
      admission.congested(1, performance.now());
      expect(admission.stats().limit).toBe(4);
      vi.advanceTimersByTime(30);
      expect(admission.stats().limit).toBe(4);
      vi.advanceTimersByTime(90);
      expect(admission.stats().limit).toBe(10);
    } finally {
      vi.useRealTimers();
    }
  });

  it('drops a waiting job whose caller went away', async () => {
    const admission = new JobAdmission(options({ max: 1 }));
    const job = await admission.acquire();
    const controller = new AbortController();
    const waiting = admission.acquire(controller.signal);
    await tick();
    controller.abort(new Error('client gone'));
    await expect(waiting).rejects.toThrow('client gone');
    expect(admission.stats()).toEqual({ limit: 1, active: 1, withMinions: 0, queued: 0 });
    job.finished();
    expect(admission.stats().active).toBe(0);
    await expect(admission.acquire(controller.signal)).rejects.toThrow('client gone');
  });

  it('keeps the limit at its maximum when not adaptive', async () => {
    const admission = new JobAdmission(options({ enabled: false, max: 3 }));
    await hold(admission, 3);
    admission.observe(10_000);
    admission.congested(1, 2);
    void admission.acquire();
    await tick();
    expect(admission.stats()).toEqual({ limit: 3, active: 3, withMinions: 0, queued: 1 });
  });

  it('cuts at a liveness check answered late, and not at one answered in time', async () => {
    const admission = new JobAdmission(options());
    await hold(admission, 8);
    expect(admission.observeCheck(1_000, 1_100)).toBe(false);
    expect(admission.stats().limit).toBe(10);
    expect(admission.observeCheck(1_000, 1_101)).toBe(true);
    expect(admission.stats().limit).toBe(4);
  });
});

describe("jobs in their minions' hands", () => {
  it('give their place back: the limit counts the jobs the master is working on', async () => {
    const admission = new JobAdmission(options({ max: 2 }));
    const [sleeping, other] = await hold(admission, 2);
    let admitted = false;
    const waiting = admission.acquire().then((job) => ((admitted = true), job));
    await tick();
    expect(admitted).toBe(false);
    sleeping?.inMinionsHands();
    await waiting;
    expect(admission.stats()).toEqual({ limit: 2, active: 2, withMinions: 1, queued: 0 });
    expect(sleeping?.atMaster).toBe(false);
    sleeping?.finished();
    sleeping?.finished();
    other?.finished();
    expect(admission.stats()).toEqual({ limit: 2, active: 1, withMinions: 0, queued: 0 });
  });

  it('are asked for once at the master for the window, and again each window, only while others wait', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const admission = new JobAdmission(options({ max: 1, fastWindowMs: 1_000 }));
      const job = await admission.acquire();
      const probes = vi.fn();
      job.onProbe = probes;
      vi.advanceTimersByTime(1_500);
      expect(probes).not.toHaveBeenCalled(); // nobody waits
      const controller = new AbortController();
      const waiting = admission.acquire(controller.signal);
      vi.advanceTimersByTime(0);
      expect(probes).toHaveBeenCalledTimes(1); // at the master past the window: asked at once
      vi.advanceTimersByTime(999);
      expect(probes).toHaveBeenCalledTimes(1);
      vi.advanceTimersByTime(1);
      expect(probes).toHaveBeenCalledTimes(2);
      controller.abort(new Error('gone'));
      await expect(waiting).rejects.toThrow('gone');
      vi.advanceTimersByTime(5_000);
      expect(probes).toHaveBeenCalledTimes(2); // nobody waits any more
      job.inMinionsHands();
      void admission.acquire(); // fits: the job holds no place
      expect(admission.stats()).toMatchObject({ active: 1, withMinions: 1 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('are not asked for when their call is known to be fast: its own checks tell', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const admission = new JobAdmission(options({ max: 1, fastWindowMs: 1_000 }));
      const job = await admission.acquire(undefined, 'fast');
      const probes = vi.fn();
      job.onProbe = probes;
      void admission.acquire();
      vi.advanceTimersByTime(10_000);
      expect(probes).not.toHaveBeenCalled();
      job.inMinionsHands(); // LocalClient's own check saw it on its minions
      expect(admission.stats()).toMatchObject({ active: 1, withMinions: 1, queued: 0 });
    } finally {
      vi.useRealTimers();
    }
  });
});
