import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JobWatch } from '../../src/salt/clients/local/job-watch.js';
import type { LivenessCheck } from '../../src/salt/clients/local/liveness.js';
import type { SaltMap } from '../../src/salt/codec/values.js';

/**
 * The find_job state machine of job-watch.ts with scripted events, on a fake clock: `drive` moves it
 * on to each time the watch asks to be woken, so that what the tests say about time holds on a busy
 * machine as well.
 */

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

const JID = '20260101000000000001';

function ret(id: string, value: SaltMap[string], jid = JID, extra: SaltMap = {}): { tag: string; data: SaltMap } {
  return { tag: `salt/job/${jid}/ret/${id}`, data: { id, return: value, retcode: 0, jid, ...extra } };
}

/** Runs the watch like publishAndWatch; `rounds[n]` are the answers to the n-th liveness check. */
async function drive(
  watch: JobWatch,
  targets: string[][],
  rounds: Array<Array<{ tag: string; data: SaltMap }>>,
  woken: { wake: () => void; next: Promise<void> },
): Promise<void> {
  let answered = 0;
  for (;;) {
    const wake = watch.tick();
    if (wake === 'done') return;
    if (targets.length > answered) {
      await woken.next;
      for (const event of rounds[answered] ?? []) watch.onLivenessEvent(event);
      answered++;
      continue;
    }
    await vi.advanceTimersByTimeAsync(Math.max(0, Math.min(wake, 1e6) - performance.now()));
  }
}

function watchFor(
  minions: string[],
  timeoutMs = 30,
  gatherJobTimeoutMs = 30,
  kind: LivenessCheck['kind'] = 'find_job',
): { watch: JobWatch; targets: string[][]; woken: { wake: () => void; next: Promise<void> } } {
  const targets: string[][] = [];
  const woken = { wake: () => undefined as void, next: Promise.resolve() };
  const arm = (): void => {
    woken.next = new Promise<void>((resolve) => (woken.wake = resolve));
  };
  arm();
  const watch = new JobWatch({
    jid: JID,
    minions,
    timeoutMs,
    gatherJobTimeoutMs,
    checkLiveness: (pending) => {
      targets.push(pending());
      return Promise.resolve({ jid: `2026010100000000010${targets.length}`, kind, sentAt: 0 });
    },
    wake: () => {
      const wake = woken.wake;
      arm();
      wake();
    },
  });
  return { watch, targets, woken };
}

describe('JobWatch', () => {
  it('is done as soon as every expected minion returned, counting each once', async () => {
    const { watch, targets } = watchFor(['a', 'b']);
    watch.onJobEvent(ret('a', true));
    watch.onJobEvent(ret('a', false));
    watch.onJobEvent(ret('b', 1, JID, { out: 'nested' }));
    expect(watch.tick()).toBe('done');
    expect(targets).toEqual([]);
    expect([...watch.outcome().returns]).toEqual([
      ['a', { ret: true, retcode: 0, jid: JID }],
      ['b', { ret: 1, out: 'nested', retcode: 0, jid: JID }],
    ]);
  });

  it('adds minions from the new event and reports missing ones', async () => {
    const { watch } = watchFor([]);
    watch.onJobEvent({ tag: `salt/job/${JID}/new`, data: { minions: ['a'], missing: ['ghost'] } });
    watch.onJobEvent(ret('a', true));
    expect(watch.tick()).toBe('done');
    expect(watch.outcome()).toMatchObject({ silent: [], missing: ['ghost'] });
  });

  it('asks silent minions with find_job after timeout and gives up after gather_job_timeout', async () => {
    const { watch, targets, woken } = watchFor(['a', 'b']);
    watch.onJobEvent(ret('a', true));
    const started = performance.now();
    await drive(watch, targets, [[]], woken);
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    expect(targets).toEqual([['b']]);
    expect(watch.outcome().silent).toEqual(['b']);
  });

  it('extends the deadline of a minion that still runs the job and asks again', async () => {
    const { watch, targets, woken } = watchFor(['a']);
    const running = (n: number) => ({
      tag: `salt/job/2026010100000000010${n}/ret/a`,
      data: { id: 'a', return: { pid: 1, jid: JID }, retcode: 0 },
    });
    const idle = (n: number) => ({
      tag: `salt/job/2026010100000000010${n}/ret/a`,
      data: { id: 'a', return: {}, retcode: 0 },
    });
    await drive(watch, targets, [[running(1)], [idle(2)]], woken);
    expect(targets).toEqual([['a'], ['a']]);
    expect(watch.outcome().silent).toEqual(['a']);
  });

  it('stops expecting a minion whose saltutil failed', async () => {
    const { watch, targets, woken } = watchFor(['a']);
    await drive(
      watch,
      targets,
      [[{ tag: 'salt/job/20260101000000000101/ret/a', data: { id: 'a', return: 'error', retcode: 1 } }]],
      woken,
    );
    expect(watch.outcome().silent).toEqual([]);
  });

  it('keys returns by resource id when the return carries one', async () => {
    const { watch } = watchFor(['r-1']);
    watch.onJobEvent(ret('minion-1', true, JID, { resource_id: 'r-1' }));
    expect(watch.tick()).toBe('done');
  });
});

describe('JobWatch with a shared saltutil.running check', () => {
  const answer = (id: string, jobs: SaltMap[string], retcode = 0) => ({
    tag: 'salt/job/20260101000000000101/ret/' + id,
    data: { id, return: jobs, retcode },
  });

  it('counts a minion as running the job only when its list has the jid', async () => {
    const { watch, targets, woken } = watchFor(['a', 'b'], 30, 30, 'running');
    await drive(
      watch,
      targets,
      [[answer('a', [{ jid: JID, pid: 7 }]), answer('b', [{ jid: '20260101000000000999', pid: 8 }])], []],
      woken,
    );
    // a still ran it, so a second check followed; b ran something else but is still silent.
    expect(targets).toEqual([
      ['a', 'b'],
      ['a', 'b'],
    ]);
    expect(watch.outcome().silent).toEqual(['a', 'b']);
  });

  it('ignores answers and target lists about minions it does not wait for', async () => {
    const { watch, targets, woken } = watchFor(['a'], 30, 30, 'running');
    const started = performance.now();
    await drive(
      watch,
      targets,
      [
        [
          { tag: 'salt/job/20260101000000000101/new', data: { minions: ['a', 'other'] } },
          answer('other', [{ jid: JID }]),
          answer('other', 'boom', 1),
        ],
      ],
      woken,
    );
    expect(targets).toEqual([['a']]);
    expect(watch.expects('other')).toBe(false);
    expect(watch.outcome().silent).toEqual(['a']);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('stops expecting a minion whose saltutil.running failed', async () => {
    const { watch, targets, woken } = watchFor(['a'], 30, 30, 'running');
    await drive(watch, targets, [[answer('a', 'error', 1)]], woken);
    expect(watch.outcome().silent).toEqual([]);
  });
});
