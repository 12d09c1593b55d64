import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FastWindow } from '../../src/salt/clients/admission/fast-window.js';
import { JobAdmission, DEFAULT_ADMISSION } from '../../src/salt/clients/admission/admission.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('FastWindow', () => {
  it('lets out a burst, then as many as finished within the window', () => {
    const window = new FastWindow(2, 1_000, () => undefined);
    const first = [window.take('fast'), window.take('fast')];
    expect(window.hasRoom()).toBe(false);
    for (const finish of first) finish(true);
    const more = [window.take('fast'), window.take('fast')];
    more[0]?.(true);
    more[0]?.(true); // once only
    expect(window.hasRoom()).toBe(true); // 3 finished within the window, 1 out
    window.take('fast');
    window.take('fast');
    expect(window.hasRoom()).toBe(false); // 3 out
    vi.advanceTimersByTime(1_001); // the finished ones leave the window: back to the burst
    more[1]?.(true);
    expect(window.hasRoom()).toBe(false); // 2 out, burst 2
  });

  it('gives back the place of a job of an unmeasured call still out after the window', () => {
    const freed = vi.fn();
    const window = new FastWindow(1, 1_000, freed);
    const finish = window.take('unmeasured');
    expect(window.hasRoom()).toBe(false);
    vi.advanceTimersByTime(1_000);
    expect(freed).toHaveBeenCalledOnce();
    expect(window.hasRoom()).toBe(true);
    finish(true); // finished late: not counted as done, not given back twice
    window.take('fast');
    expect(window.hasRoom()).toBe(false);
  });
});

describe('JobAdmission with fast calls', () => {
  const admission = () => new JobAdmission({ ...DEFAULT_ADMISSION, fastBurst: 2, fastWindowMs: 1_000 });

  it('holds back fast calls beyond the window, never slow ones', async () => {
    const jobs = admission();
    const fast = [await jobs.acquire(undefined, 'fast'), await jobs.acquire(undefined, 'fast')];
    let third = false;
    const waiting = jobs.acquire(undefined, 'fast').then((job) => ((third = true), job));
    await jobs.acquire(undefined, 'slow');
    await Promise.resolve();
    expect(third).toBe(false);
    expect(jobs.stats()).toMatchObject({ active: 3, queued: 1 });
    fast[0]?.finished();
    await waiting;
    expect(third).toBe(true);
  });

  it('lets an unmeasured call wait at most the window', async () => {
    const jobs = admission();
    await jobs.acquire(undefined, 'unmeasured');
    await jobs.acquire(undefined, 'unmeasured');
    let admitted = false;
    void jobs.acquire(undefined, 'unmeasured').then(() => (admitted = true));
    await vi.advanceTimersByTimeAsync(999);
    expect(admitted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(admitted).toBe(true);
  });

  it('has no window with adaptive_job_limit: false', async () => {
    const jobs = new JobAdmission({ ...DEFAULT_ADMISSION, enabled: false, fastBurst: 1 });
    await jobs.acquire(undefined, 'fast');
    await jobs.acquire(undefined, 'fast');
    expect(jobs.stats()).toMatchObject({ active: 2, queued: 0 });
  });
});
