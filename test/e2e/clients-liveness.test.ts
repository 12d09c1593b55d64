import { describe, expect, it } from 'vitest';
import type { SaltMap, SaltValue } from '../../src/salt/codec/values.js';
import { DEFAULT_CAPACITY } from '../../src/demo/capacity.js';
import { harness, shortPingAll, type NetapiHarness } from '../support/clients.js';

/**
 * Many synchronous `local` jobs waiting at once, their liveness checks shared (liveness.ts) or
 * one find_job per job (`coalesce_job_checks: false`, LocalClient's way): the same answers, far
 * fewer checks.
 */

const JOBS = 8;

/** The answers with each job's own jid taken out of its "did not return" text. */
function normalised(results: SaltValue[][]): string[] {
  return results.map((r) => JSON.stringify(r).replace(/\d{20}/g, '<jid>'));
}

function checksSent(h: NetapiHarness, fun: string): SaltMap[] {
  return h.loads.filter((load) => load['cmd'] === 'publish' && load['fun'] === fun);
}

async function concurrentJobs(h: NetapiHarness, token: string, chunk: SaltMap): Promise<SaltValue[][]> {
  return Promise.all(Array.from({ length: JOBS }, () => h.netapi.run({ client: 'local', tgt: '*', token, ...chunk })));
}

/** minion-1 runs test.sleep 3.5 past a timeout of 1 (find_job says it runs); dead-1 never answers. */
const SLOW_AND_DEAD = { fun: 'test.sleep', arg: [3.5], timeout: 1, gather_job_timeout: 1 };
const demo = { minions: ['minion-1'], deadMinions: ['dead-1'] };

describe('liveness checks of many waiting jobs', () => {
  it('give the answers one find_job per job gives, with at most one check per interval', async () => {
    const perJob = await harness({ demo, coalesceJobChecks: false });
    const shared = await harness({ demo });
    const started = performance.now();
    const [before, after] = await Promise.all([
      concurrentJobs(perJob, perJob.token, SLOW_AND_DEAD),
      concurrentJobs(shared, shared.token, SLOW_AND_DEAD),
    ]);
    const elapsedMs = performance.now() - started;
    expect(normalised(after)).toEqual(normalised(before));
    expect(after[0]?.[0]).toMatchObject({ 'minion-1': true, 'dead-1': expect.stringContaining('did not return') });

    // Per job: a find_job each time a window closes while minion-1 still runs it (three times).
    const findJobs = checksSent(perJob, 'saltutil.find_job').length;
    expect(findJobs).toBeGreaterThanOrEqual(2 * JOBS);
    expect(checksSent(perJob, 'saltutil.running')).toEqual([]);
    // Shared: one saltutil.running to both silent minions at those moments, at most one a second.
    const running = checksSent(shared, 'saltutil.running');
    expect(running.length).toBeGreaterThanOrEqual(2);
    expect(running.length).toBeLessThanOrEqual(Math.ceil(elapsedMs / 1_000) + 1);
    expect(running.length * 4).toBeLessThan(findJobs);
    expect(new Set(running[0]?.['tgt'] as string[])).toEqual(new Set(['minion-1', 'dead-1']));
    expect(running[0]?.['kwargs']).toEqual({ token: shared.token });
    expect(checksSent(shared, 'saltutil.find_job')).toEqual([]);
    // What /metrics reports (saltapid_liveness_checks_total).
    expect(shared.netapi.livenessChecks?.()).toMatchObject({ running: running.length, findJob: 0 });
    expect(perJob.netapi.livenessChecks?.()).toMatchObject({ running: 0, findJob: findJobs });
  });

  it('fall back to find_job, with the same answers, for a user who may not run saltutil.running', async () => {
    const limited = {
      ...demo,
      externalAuth: { pam: { saltdev: ['.*'], tester: ['test.*'] } },
      users: { saltdev: { password: 'saltdev', groups: [] }, tester: { password: 'tester', groups: [] } },
    };
    const h = await harness({ demo: limited });
    const record = await h.master.commands.mkToken({ username: 'tester', password: 'tester', eauth: 'pam' });
    if (record === null) throw new Error('the demo master refused tester');
    h.loads.length = 0;
    const results = await concurrentJobs(h, record.token, SLOW_AND_DEAD);
    for (const [result] of results) {
      expect(result).toMatchObject({ 'minion-1': true, 'dead-1': expect.stringContaining('did not return') });
    }
    // One refused shared check, then each job's own find_job (the refusal is remembered).
    expect(checksSent(h, 'saltutil.running')).toHaveLength(1);
    expect(checksSent(h, 'saltutil.find_job').length).toBeGreaterThanOrEqual(2 * JOBS);
  });

  it('still end with every return when the minions answer before any check', async () => {
    const h = await harness({ demo: { minions: ['minion-1', 'minion-2'] } });
    const results = await concurrentJobs(h, h.token, { fun: 'test.ping' });
    for (const [result] of results) expect(result).toEqual({ 'minion-1': true, 'minion-2': true });
    expect(checksSent(h, 'saltutil.running')).toEqual([]);
    expect(checksSent(h, 'saltutil.find_job')).toEqual([]);
  });

  it('keep every return on an overloaded master (the demo capacity model)', async () => {
    // One master core: 50 ms a publish, 20 ms a return; 16 jobs queue for about 1.4 s, past timeout.
    const capacity = { ...DEFAULT_CAPACITY, publishMs: 50, returnMs: 20, masterCores: 1, jobMs: 10, findJobMs: 10 };
    const h = await harness({ demo: { minions: ['minion-1', 'minion-2'], capacity } });
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 16 }, () => h.netapi.run(shortPingAll(h.token))));
    const elapsedMs = performance.now() - started;
    for (const [result] of results) expect(result).toEqual({ 'minion-1': true, 'minion-2': true });
    expect(elapsedMs).toBeGreaterThan(16 * 90 - 50);
    const counts = h.netapi.livenessChecks?.();
    expect(counts?.findJob).toBe(0);
    expect(counts?.running ?? 0).toBeLessThanOrEqual(Math.ceil(elapsedMs / 1_000) + 1);
  });
});
