import { describe, expect, it } from 'vitest';
import type { MasterHealth } from '../../src/salt/master.js';
import { Readiness, STREAM_READER_DOWN } from '../../src/http/stats/readiness.js';

/** /readyz's check: cached, one shared ping, a failure believed for a while. */

function fakeMaster(overrides: Partial<MasterHealth> = {}): MasterHealth & { pings: number } {
  const master = {
    pings: 0,
    busConnected: () => true,
    busStats: () => {
      throw new Error('unused');
    },
    lastReplyAt: (): number | undefined => undefined,
    ping(): Promise<unknown> {
      master.pings++;
      return Promise.resolve({});
    },
    observeRequests: () => undefined,
    ...overrides,
  };
  return master;
}

describe('Readiness', () => {
  it('is ready without a round trip while the master answered recently', async () => {
    let now = 1_000;
    const master = fakeMaster({ lastReplyAt: () => 500 });
    const readiness = new Readiness(master, { freshMs: 10_000, now: () => now });
    expect(await readiness.check()).toEqual({ ready: true });
    expect(master.pings).toBe(0);
    now = 20_000;
    expect(await readiness.check()).toEqual({ ready: true });
    expect(master.pings).toBe(1);
  });

  it('shares one ping between concurrent probes, and believes a failure for retryMs', async () => {
    let now = 0;
    let fail = true;
    const master = fakeMaster({
      ping() {
        master.pings++;
        return fail ? Promise.reject(new Error('timed out')) : Promise.resolve({});
      },
    });
    const readiness = new Readiness(master, { retryMs: 2_000, now: () => now });
    const verdicts = await Promise.all([readiness.check(), readiness.check(), readiness.check()]);
    expect(master.pings).toBe(1);
    expect(verdicts[0]).toEqual({ ready: false, reason: "the master's request port does not answer (timed out)" });
    now = 1_000;
    fail = false;
    expect((await readiness.check()).ready).toBe(false);
    expect(master.pings).toBe(1);
    now = 3_000;
    expect(await readiness.check()).toEqual({ ready: true });
    expect(master.pings).toBe(2);
  });

  it("is not ready while the streams' own reader of the bus is not connected", async () => {
    let streams = false;
    const readiness = new Readiness(fakeMaster({ lastReplyAt: () => 0 }), { now: () => 1, streams: () => streams });
    expect(await readiness.check()).toEqual({ ready: false, reason: STREAM_READER_DOWN });
    streams = true;
    expect(await readiness.check()).toEqual({ ready: true });
  });

  it('is not ready without a master or with its bus down', async () => {
    expect(await new Readiness(undefined).check()).toEqual({ ready: false, reason: 'no master connection' });
    expect(await new Readiness(fakeMaster({ busConnected: () => false })).check()).toEqual({
      ready: false,
      reason: "the master's event bus is not connected",
    });
  });
});
