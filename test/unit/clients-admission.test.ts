import { describe, expect, it } from 'vitest';
import { JobAdmission, type AdmissionOptions } from '../../src/salt/clients/admission.js';

/** The adaptive limit on sync jobs out at the master (admission.ts). */

const options = (overrides: Partial<AdmissionOptions> = {}): AdmissionOptions => ({
  enabled: true,
  targetMs: 100,
  initial: 2,
  min: 1,
  max: 10,
  ...overrides,
});

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('JobAdmission', () => {
  it('admits up to the limit and queues the rest in order', async () => {
    const admission = new JobAdmission(options());
    const first = await admission.acquire();
    await admission.acquire();
    const order: number[] = [];
    const third = admission.acquire().then((release) => (order.push(3), release));
    const fourth = admission.acquire().then((release) => (order.push(4), release));
    await tick();
    expect(admission.stats()).toEqual({ limit: 2, active: 2, queued: 2 });
    first();
    first(); // a second call gives nothing back twice
    await tick();
    expect(order).toEqual([3]);
    expect(admission.stats()).toEqual({ limit: 2, active: 2, queued: 1 });
    (await third)();
    await fourth;
    expect(order).toEqual([3, 4]);
  });

  it('grows by one per quick answer until the first slow one, then by one per limit answers', () => {
    const admission = new JobAdmission(options({ initial: 2, max: 100 }));
    for (let i = 0; i < 4; i++) admission.observe(10, i);
    expect(admission.stats().limit).toBe(6);
    admission.observe(500, 1_000);
    expect(admission.stats().limit).toBe(4); // 6 × 0.7
    for (let i = 0; i < 4; i++) admission.observe(10, 2_000 + i);
    expect(admission.stats().limit).toBe(5);
  });

  it('cuts at most once per round trip, never below the minimum', () => {
    const admission = new JobAdmission(options({ initial: 8, min: 2 }));
    admission.observe(500, 1_000);
    admission.observe(500, 1_100);
    admission.observe(500, 1_200);
    expect(admission.stats().limit).toBe(5); // 8 × 0.7, once
    for (let t = 2_000; t < 10_000; t += 600) admission.observe(500, t);
    expect(admission.stats().limit).toBe(2);
  });

  it('lets waiting jobs in as the limit grows', async () => {
    const admission = new JobAdmission(options({ initial: 1 }));
    await admission.acquire();
    const waiting = admission.acquire();
    await tick();
    expect(admission.stats().queued).toBe(1);
    admission.observe(10);
    await waiting;
    expect(admission.stats()).toMatchObject({ active: 2, queued: 0 });
  });

  it('drops a waiting job whose caller went away', async () => {
    const admission = new JobAdmission(options({ initial: 1 }));
    const release = await admission.acquire();
    const controller = new AbortController();
    const waiting = admission.acquire(controller.signal);
    await tick();
    controller.abort(new Error('client gone'));
    await expect(waiting).rejects.toThrow('client gone');
    expect(admission.stats()).toEqual({ limit: 1, active: 1, queued: 0 });
    release();
    expect(admission.stats().active).toBe(0);
    await expect(admission.acquire(controller.signal)).rejects.toThrow('client gone');
  });

  it('keeps the limit at its maximum when not adaptive', async () => {
    const admission = new JobAdmission(options({ enabled: false, initial: 1, max: 3 }));
    await Promise.all([admission.acquire(), admission.acquire(), admission.acquire()]);
    admission.observe(10_000);
    const fourth = admission.acquire();
    await tick();
    expect(admission.stats()).toEqual({ limit: 3, active: 3, queued: 1 });
    void fourth;
  });
});
