import { describe, expect, it, vi } from 'vitest';
import type { PublishLoad, PublishResult } from '../../src/salt/clear-commands.js';
import { MasterErrorReply } from '../../src/salt/errors.js';
import { LivenessChecks, type LivenessMember } from '../../src/salt/clients/local/liveness.js';
import { testSettings } from '../support/settings.js';

/** The shared liveness checks of liveness.ts, with a scripted master. */

const settings = testSettings({ master: { user: 'root' } }).master;

interface FakeMaster {
  loads: PublishLoad[];
  publish(load: PublishLoad): Promise<PublishResult>;
}

/** A master that answers every publish with a new jid, or refuses `refuse` functions. */
function fakeMaster(refuse: string[] = []): FakeMaster {
  const loads: PublishLoad[] = [];
  return {
    loads,
    publish(load) {
      loads.push(load);
      if (typeof load.fun === 'string' && refuse.includes(load.fun)) {
        return Promise.reject(new MasterErrorReply('AuthorizationError', 'Authorization error occurred.'));
      }
      const minions = Array.isArray(load.tgt) ? load.tgt.map(String) : [];
      return Promise.resolve({ jid: `2026000000000000${String(loads.length).padStart(4, '0')}`, minions, missing: [] });
    },
  };
}

function member(jid: string, pending: string[], kwargs = { token: 'tok-1' }, deferLimitMs = 1_000): LivenessMember {
  return { jid, pending: () => pending, kwargs, deferLimitMs, track: (request) => request() };
}

/**
 * Runs `test` on fake timers and a fake performance.now(): how long a minion has been silent is what
 * the test says, not what a busy machine lets a real interval keep up with.
 */
async function onFakeTime(test: () => Promise<void>): Promise<void> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'] });
  try {
    await test();
  } finally {
    vi.useRealTimers();
  }
}

describe('LivenessChecks', () => {
  it('answers the jobs that ask together with one saltutil.running to all their silent minions', async () => {
    const master = fakeMaster();
    const checks = new LivenessChecks(master, settings, { coalesce: true, intervalMs: 50 });
    const answers = await Promise.all([
      checks.check(member('j1', ['a', 'b'])),
      checks.check(member('j2', ['b', 'c'])),
      checks.check(member('j3', ['a'])),
    ]);
    expect(master.loads).toHaveLength(1);
    expect(master.loads[0]).toMatchObject({
      tgt: ['a', 'b', 'c'],
      fun: 'saltutil.running',
      arg: [],
      tgt_type: 'list',
      ret: '',
      jid: '',
      kwargs: { token: 'tok-1' },
    });
    expect(new Set(answers.map((a) => a?.jid))).toEqual(new Set([answers[0]?.jid]));
    expect(answers.every((a) => a?.kind === 'running')).toBe(true);
    expect(checks.counts).toEqual({ running: 1, findJob: 0, deferred: 0 });
  });

  it('sends at most one check per interval for the same credentials', async () => {
    const master = fakeMaster();
    const checks = new LivenessChecks(master, settings, { coalesce: true, intervalMs: 200 });
    const started = performance.now();
    await checks.check(member('j1', ['a']));
    const second = checks.check(member('j2', ['a']));
    const third = checks.check(member('j3', ['b']));
    await Promise.all([second, third]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(master.loads.map((l) => l.tgt)).toEqual([['a'], ['a', 'b']]);
  });

  it('keeps other credentials apart, and sends only the credentials', async () => {
    const master = fakeMaster();
    const checks = new LivenessChecks(master, settings, { coalesce: true, intervalMs: 50 });
    await Promise.all([
      checks.check(member('j1', ['a'], { token: 'tok-1', gather_job_timeout: 3 } as never)),
      checks.check(member('j2', ['a'], { eauth: 'pam', username: 'u', password: 'p', client: 'local' } as never)),
    ]);
    expect(master.loads.map((l) => l.kwargs)).toEqual([
      { token: 'tok-1' },
      { eauth: 'pam', username: 'u', password: 'p' },
    ]);
  });

  it('reads the silent minions when the check goes out, and skips a job that has none left', async () => {
    const master = fakeMaster();
    const checks = new LivenessChecks(master, settings, { coalesce: true, intervalMs: 100 });
    await checks.check(member('j0', ['x']));
    const pending = ['a', 'b'];
    const later = checks.check({ ...member('j1', []), pending: () => pending });
    const emptied = checks.check({ ...member('j2', []), pending: () => [] });
    pending.splice(0, 1);
    expect(await emptied).toBeNull();
    expect(await later).toMatchObject({ kind: 'running' });
    expect(master.loads.map((l) => l.tgt)).toEqual([['x'], ['b']]);
  });

  it('falls back to find_job for each job where saltutil.running is refused, and remembers it', async () => {
    const master = fakeMaster(['saltutil.running']);
    const checks = new LivenessChecks(master, settings, { coalesce: true, intervalMs: 50 });
    const [one, two] = await Promise.all([checks.check(member('j1', ['a'])), checks.check(member('j2', ['b']))]);
    expect(one?.kind).toBe('find_job');
    expect(two?.kind).toBe('find_job');
    await checks.check(member('j3', ['c']));
    expect(master.loads.map((l) => [l.fun, l.tgt, l.arg])).toEqual([
      ['saltutil.running', ['a', 'b'], []],
      ['saltutil.find_job', ['a'], ['j1']],
      ['saltutil.find_job', ['b'], ['j2']],
      ['saltutil.find_job', ['c'], ['j3']],
    ]);
    expect(checks.counts).toMatchObject({ running: 1, findJob: 3 });
  });

  it('passes other failures to the job', async () => {
    const checks = new LivenessChecks({ publish: () => Promise.reject(new Error('master gone')) }, settings, {
      coalesce: true,
      intervalMs: 10,
    });
    await expect(checks.check(member('j1', ['a']))).rejects.toThrow('master gone');
  });

  it('waits while a silent minion is still returning, up to the job limit', () =>
    onFakeTime(async () => {
      const master = fakeMaster();
      const checks = new LivenessChecks(master, settings, { coalesce: true, intervalMs: 40 });
      const started = performance.now();
      checks.noteReturn('a');
      const busy = setInterval(() => checks.noteReturn('a'), 10);
      let answeredAfter: number | undefined;
      const answer = checks.check(member('j1', ['a', 'b'], { token: 't' }, 200)).then((found) => {
        answeredAfter = performance.now() - started;
        return found;
      });
      await vi.advanceTimersByTimeAsync(190);
      expect(answeredAfter).toBeUndefined();
      await vi.advanceTimersByTimeAsync(100);
      clearInterval(busy);
      expect((await answer)?.kind).toBe('running');
      expect(answeredAfter).toBeGreaterThanOrEqual(190);
      expect(answeredAfter).toBeLessThan(290);
      expect(master.loads).toHaveLength(1);
      expect(checks.counts.deferred).toBeGreaterThan(2);
    }));

  it('does not wait for a minion whose returns stopped', () =>
    onFakeTime(async () => {
      const master = fakeMaster();
      const checks = new LivenessChecks(master, settings, { coalesce: true, intervalMs: 40 });
      checks.noteReturn('a');
      await vi.advanceTimersByTimeAsync(60);
      const started = performance.now();
      let answeredAfter: number | undefined;
      const answer = checks.check(member('j1', ['a'], { token: 't' }, 10_000)).then(() => {
        answeredAfter = performance.now() - started;
      });
      await vi.advanceTimersByTimeAsync(0);
      expect(answeredAfter).toBe(0);
      await answer;
      expect(checks.counts.deferred).toBe(0);
    }));

  it('asks with one find_job per job when coalescing is off', async () => {
    const master = fakeMaster();
    const checks = new LivenessChecks(master, settings, { coalesce: false, intervalMs: 50 });
    await Promise.all([checks.check(member('j1', ['a'])), checks.check(member('j2', ['a']))]);
    expect(master.loads.map((l) => [l.fun, l.arg])).toEqual([
      ['saltutil.find_job', ['j1']],
      ['saltutil.find_job', ['j2']],
    ]);
  });
});
