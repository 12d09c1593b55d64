import { describe, expect, it, vi } from 'vitest';
import { JobProbe } from '../../src/salt/clients/admission/job-probe.js';
import type { LivenessCheck } from '../../src/salt/clients/local/liveness.js';
import type { SaltEvent } from '../../src/salt/event-frame.js';

/** Reading a sync job's liveness checks for the admission (job-probe.ts). */

const JOB = '20261206000000000001';
const CHECK = '20261206000000000002';

/** A minion's answer to a shared `saltutil.running`: its running jobs' records. */
const running = (id: string, jids: string[]): SaltEvent => ({
  tag: `salt/job/${CHECK}/ret/${id}`,
  data: { id, jid: CHECK, fun: 'saltutil.running', return: jids.map((jid) => ({ jid, fun: 'test.sleep' })) },
});

function setUp(pending: string[], lateAfterMs = 2_000) {
  const seen = vi.fn();
  const lateness: number[] = [];
  const probe = new JobProbe({
    jid: JOB,
    publishedAt: 0,
    isPending: (id) => pending.includes(id),
    pendingCount: () => pending.length,
    late: (sentAt, answeredAt) => {
      lateness.push(answeredAt - sentAt);
      return answeredAt - sentAt > lateAfterMs;
    },
    seenOnMinions: seen,
  });
  return { probe, seen, lateness };
}

const sent = (check: LivenessCheck) => () => Promise.resolve(check);
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('JobProbe', () => {
  it('sees the job on its minions once every minion it waits for lists it, in time', async () => {
    const { probe, seen, lateness } = setUp(['m1', 'm2']);
    probe.probe(sent({ jid: CHECK, kind: 'running', sentAt: 1_000 }));
    await flush();
    probe.onEvent(CHECK, running('m1', [JOB]), 1_100);
    probe.onEvent(CHECK, running('other', []), 1_100); // another job's minion: read for its time only
    expect(seen).not.toHaveBeenCalled();
    probe.onEvent(CHECK, running('m2', ['20261206000000000099', JOB]), 1_200);
    expect(seen).toHaveBeenCalledOnce();
    expect(probe.seenRunning).toBe(true);
    expect(lateness).toEqual([100, 100, 200]);
    probe.onEvent(CHECK, running('m2', [JOB]), 1_300);
    expect(seen).toHaveBeenCalledOnce();
  });

  it("does not count a late answer: the master was slow to take it, and may hold the job's return too", async () => {
    const { probe, seen } = setUp(['m1']);
    probe.probe(sent({ jid: CHECK, kind: 'running', sentAt: 0 }));
    await flush();
    probe.onEvent(CHECK, running('m1', [JOB]), 2_001);
    expect(seen).not.toHaveBeenCalled();
  });

  it("does not count an answer that took a quarter of the job's age: the return may wait as long", async () => {
    const { probe, seen } = setUp(['m1']);
    probe.probe(sent({ jid: CHECK, kind: 'running', sentAt: 1_500 }));
    await flush();
    probe.onEvent(CHECK, running('m1', [JOB]), 2_001); // 501 ms of a 2,001 ms job
    expect(seen).not.toHaveBeenCalled();
    probe.probe(sent({ jid: CHECK, kind: 'running', sentAt: 2_100 }));
    await flush();
    probe.onEvent(CHECK, running('m1', [JOB]), 2_300);
    expect(seen).toHaveBeenCalledOnce();
  });

  it('counts only the minions still pending: a minion that returned since is not waited for', async () => {
    const pending = ['m1', 'm2'];
    const { probe, seen } = setUp(pending);
    probe.probe(sent({ jid: CHECK, kind: 'running', sentAt: 1_000 }));
    await flush();
    probe.onEvent(CHECK, running('m1', [JOB]), 1_010);
    pending.splice(0, 1); // m1 returned
    probe.noteReturn('m1');
    expect(seen).not.toHaveBeenCalled();
    probe.onEvent(CHECK, running('m2', [JOB]), 1_020);
    expect(seen).toHaveBeenCalledOnce();
  });

  it('does not count a minion that no longer lists the job', async () => {
    const { probe, seen } = setUp(['m1']);
    probe.probe(sent({ jid: CHECK, kind: 'running', sentAt: 0 }));
    await flush();
    probe.onEvent(CHECK, running('m1', []), 10);
    expect(seen).not.toHaveBeenCalled();
  });

  it("reads the watch's own checks too, find_job answers included", () => {
    const { probe, seen } = setUp(['m1']);
    probe.follow({ jid: CHECK, kind: 'find_job', sentAt: 1_000 });
    probe.onEvent('20261206000000000003', running('m1', [JOB]), 1_010); // not a check being read
    expect(seen).not.toHaveBeenCalled();
    const answer = { tag: `salt/job/${CHECK}/ret/m1`, data: { id: 'm1', return: { jid: JOB, fun: 'test.sleep' } } };
    probe.onEvent(CHECK, answer, 1_010);
    expect(seen).toHaveBeenCalledOnce();
  });

  it('sends one probe at a time, and none once the job was seen', async () => {
    const { probe } = setUp(['m1']);
    const send = vi.fn(sent({ jid: CHECK, kind: 'running', sentAt: 1_000 }));
    probe.probe(send);
    probe.probe(send);
    expect(send).toHaveBeenCalledOnce();
    await flush();
    probe.onEvent(CHECK, running('m1', [JOB]), 1_010);
    probe.probe(send);
    expect(send).toHaveBeenCalledOnce();
  });
});
