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

/** Takes `n` places at once. */
async function hold(admission: JobAdmission, n: number): Promise<Array<() => void>> {
  return Promise.all(Array.from({ length: n }, () => admission.acquire()));
}

describe('JobAdmission', () => {
  it('admits up to the limit and queues the rest in order', async () => {
    const admission = new JobAdmission(options());
    const [first] = await hold(admission, 2);
    const order: number[] = [];
    const third = admission.acquire().then((release) => (order.push(3), release));
    const fourth = admission.acquire().then((release) => (order.push(4), release));
    await tick();
    expect(admission.stats()).toEqual({ limit: 2, active: 2, queued: 2 });
    first?.();
    first?.(); // a second call gives nothing back twice
    await tick();
    expect(order).toEqual([3]);
    expect(admission.stats()).toEqual({ limit: 2, active: 2, queued: 1 });
    (await third)();
    await fourth;
    expect(order).toEqual([3, 4]);
  });

  it('grows only while the limit holds jobs back: one per answer, then one per limit answers', async () => {
    const admission = new JobAdmission(options({ initial: 2, max: 100 }));
    admission.observe(10, 0);
    expect(admission.stats().limit).toBe(2); // nothing out: the limit held nobody back
    await hold(admission, 2);
    for (let i = 0; i < 4; i++) {
      admission.observe(10, i);
      await hold(admission, 1);
    }
    expect(admission.stats()).toMatchObject({ limit: 6, active: 6 });
    admission.congested(10, 20);
    expect(admission.stats().limit).toBe(4); // 70% of the 6 out
    for (let i = 0; i < 4; i++) admission.observe(10, 30 + i);
    expect(admission.stats().limit).toBe(5);
  });

  it('cuts once per episode: only a job sent after the last cut cuts again', async () => {
    const admission = new JobAdmission(options({ initial: 8, min: 2 }));
    await hold(admission, 8);
    admission.congested(100, 1_000);
    admission.congested(900, 1_100); // sent before that cut: the same episode
    admission.observe(500, 950); // a slow publish sent before it too
    expect(admission.stats().limit).toBe(5); // 8 × 0.7
    admission.congested(1_050, 1_200);
    expect(admission.stats().limit).toBe(3);
    for (let t = 2_000; t < 10_000; t += 600) admission.congested(t - 1, t);
    expect(admission.stats().limit).toBe(2);
  });

  it('cuts to 70% of the jobs out, not of a limit that was never used', async () => {
    const admission = new JobAdmission(options({ initial: 10, max: 10 }));
    await hold(admission, 4);
    admission.congested(1, 2);
    expect(admission.stats().limit).toBe(2); // 4 × 0.7
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
    await hold(admission, 3);
    admission.observe(10_000);
    admission.congested(1, 2);
    void admission.acquire();
    await tick();
    expect(admission.stats()).toEqual({ limit: 3, active: 3, queued: 1 });
  });
});
