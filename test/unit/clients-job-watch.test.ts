import { describe, expect, it } from 'vitest';
import { JobWatch } from '../../src/salt/clients/job-watch.js';
import type { SaltMap } from '../../src/salt/codec/values.js';

/** The find_job state machine of job-watch.ts with scripted events and short real timers. */

const JID = '20260101000000000001';

function ret(id: string, value: SaltMap[string], jid = JID, extra: SaltMap = {}): { tag: string; data: SaltMap } {
  return { tag: `salt/job/${jid}/ret/${id}`, data: { id, return: value, retcode: 0, jid, ...extra } };
}

/** Runs the watch like publishAndWatch; `rounds[n]` are the answers to the n-th find_job. */
async function drive(
  watch: JobWatch,
  targets: string[][],
  rounds: Array<Array<{ tag: string; data: SaltMap }>>,
): Promise<void> {
  let answered = 0;
  for (;;) {
    const wake = await watch.tick();
    if (wake === 'done') return;
    if (targets.length > answered) {
      for (const event of rounds[answered] ?? []) watch.onFindJobEvent(event);
      answered++;
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, wake - performance.now())));
  }
}

function watchFor(
  minions: string[],
  timeoutMs = 30,
  gatherJobTimeoutMs = 30,
): { watch: JobWatch; targets: string[][] } {
  const targets: string[][] = [];
  const watch = new JobWatch({
    jid: JID,
    minions,
    timeoutMs,
    gatherJobTimeoutMs,
    findJob: (ids) => {
      targets.push(ids);
      return Promise.resolve(`2026010100000000010${targets.length}`);
    },
  });
  return { watch, targets };
}

describe('JobWatch', () => {
  it('is done as soon as every expected minion returned, counting each once', async () => {
    const { watch, targets } = watchFor(['a', 'b']);
    watch.onJobEvent(ret('a', true));
    watch.onJobEvent(ret('a', false));
    watch.onJobEvent(ret('b', 1, JID, { out: 'nested' }));
    expect(await watch.tick()).toBe('done');
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
    expect(await watch.tick()).toBe('done');
    expect(watch.outcome()).toMatchObject({ silent: [], missing: ['ghost'] });
  });

  it('asks silent minions with find_job after timeout and gives up after gather_job_timeout', async () => {
    const { watch, targets } = watchFor(['a', 'b']);
    watch.onJobEvent(ret('a', true));
    const started = performance.now();
    await drive(watch, targets, [[]]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    expect(targets).toEqual([['b']]);
    expect(watch.outcome().silent).toEqual(['b']);
  });

  it('extends the deadline of a minion that still runs the job and asks again', async () => {
    const { watch, targets } = watchFor(['a']);
    const running = (n: number) => ({
      tag: `salt/job/2026010100000000010${n}/ret/a`,
      data: { id: 'a', return: { pid: 1, jid: JID }, retcode: 0 },
    });
    const idle = (n: number) => ({
      tag: `salt/job/2026010100000000010${n}/ret/a`,
      data: { id: 'a', return: {}, retcode: 0 },
    });
    await drive(watch, targets, [[running(1)], [idle(2)]]);
    expect(targets).toEqual([['a'], ['a']]);
    expect(watch.outcome().silent).toEqual(['a']);
  });

  it('stops expecting a minion whose saltutil failed', async () => {
    const { watch, targets } = watchFor(['a']);
    await drive(watch, targets, [
      [{ tag: 'salt/job/20260101000000000101/ret/a', data: { id: 'a', return: 'error', retcode: 1 } }],
    ]);
    expect(watch.outcome().silent).toEqual([]);
  });

  it('keys returns by resource id when the return carries one', async () => {
    const { watch } = watchFor(['r-1']);
    watch.onJobEvent(ret('minion-1', true, JID, { resource_id: 'r-1' }));
    expect(await watch.tick()).toBe('done');
  });
});
