import { describe, expect, it } from 'vitest';
import { verdicts, WORKER_KILLED, type Sample, type SoakResult } from '../../src/bench/soak/report.js';

/**
 * The soak's memory verdicts (issue 21): judged per process that lived through the last 20
 * minutes, so that a replaced worker refilling its caches is not mistaken for a leak, and a leak
 * in a survivor is not hidden by the sum.
 */

const MINUTES = 30;

/** A sample every 10 s: `rss(pid, t)` for each live pid, the heap following the first pid's RSS. */
function run(
  pidsAt: (t: number) => number[],
  rss: (pid: number, t: number) => number,
  faults: string[],
  failures: SoakResult['failures'] = [],
): SoakResult {
  const samples: Sample[] = [];
  for (let t = 0; t <= MINUTES * 60; t += 10) {
    const processes = pidsAt(t).map((pid) => ({ pid, rssMb: rss(pid, t), fds: 40 }));
    samples.push({
      t,
      answers: 100,
      events: 500,
      rssMb: processes.reduce((sum, p) => sum + p.rssMb, 0),
      fds: processes.length * 40,
      heapMb: 100,
      handles: 20,
      processes,
      heaps: processes.map((p) => ({ startedAt: p.pid, heapMb: p.rssMb / 2 })),
    });
  }
  return {
    seconds: MINUTES * 60,
    warmupSeconds: 600,
    samples,
    faults: faults.map((name, i) => ({ name, from: 700 + i * 300, to: 701 + i * 300 })),
    answers: [],
    failures,
    streams: { lost: 0, duplicated: 0 } as SoakResult['streams'],
    startedAt: 0,
  };
}

const verdict = (result: SoakResult, start: string): { value: string; held: boolean | undefined } => {
  const found = verdicts(result).find((v) => v.name.startsWith(start));
  if (found === undefined) throw new Error(`no verdict ${start}`);
  return found;
};

/** Worker 1 lives throughout; worker 2 is replaced at 20 min by worker 3, which climbs as its ring fills. */
const pids = (t: number): number[] => [1, t < 1200 ? 2 : 3];
const refilling = (pid: number, t: number): number => (pid === 3 ? 100 + Math.min(150, (t - 1200) / 2) : 250);

describe('soak memory verdicts', () => {
  it('judges the worker that lived through the window, not the sum a replaced worker climbs in', () => {
    const result = run(pids, refilling, [WORKER_KILLED]);
    expect(verdict(result, 'RSS growth over the last 20.0 min, each process')).toEqual(
      expect.objectContaining({ value: 'pid 1: 0.0 MB', held: true }),
    );
    expect(verdict(result, 'heap kept growth over the last 20.0 min, each process').held).toBe(true);
    expect(verdict(result, 'RSS growth over the last 20.0 min, all serving').held).toBeUndefined();
  });

  it('fails a survivor that grows, whatever the others do', () => {
    const leaking = (pid: number, t: number): number => (pid === 1 ? 200 + t / 60 : refilling(pid, t));
    const result = run(pids, leaking, [WORKER_KILLED]);
    const rss = verdict(result, 'RSS growth over the last 20.0 min, each process');
    expect(rss.held).toBe(false);
    expect(rss.value).toBe('pid 1: 20.0 MB');
  });

  it('judges the sum too when no process was replaced, and fails when nothing lived through the window', () => {
    const single = run(
      () => [1],
      (_, t) => 250 + t / 600,
      [],
    );
    expect(verdict(single, 'RSS growth over the last 20.0 min, all serving').held).toBe(true);
    const churn = run(
      (t) => [Math.floor(t / 300)],
      () => 250,
      [],
    );
    expect(verdict(churn, 'RSS growth over the last 20.0 min, each process')).toEqual(
      expect.objectContaining({ value: 'no process lived through the window', held: false }),
    );
  });

  it('is not tilted by a dip as the window opens (a sibling just killed), nor by the collector saw', () => {
    const dipped = (pid: number, t: number): number =>
      (pid === 1 && t >= 600 && t < 720 ? 360 : 450) + (Math.floor(t / 10) % 2 === 0 ? 20 : -20);
    const result = run(pids, dipped, [WORKER_KILLED]);
    expect(verdict(result, 'RSS growth over the last 20.0 min, each process').held).toBe(true);
  });

  it('judges the heap by its troughs: peaks that move with the collector are not a leak, a rising floor is', () => {
    // Heap samples are half the RSS series (run's convention): a saw whose peaks climb, floor flat...
    const sawing = (pid: number, t: number): number =>
      pid === 1 ? (Math.floor(t / 10) % 3 === 0 ? 300 : 600 + Math.min(t - 600, 1200) / 10) : refilling(pid, t);
    const flatFloor = run(pids, sawing, [WORKER_KILLED]);
    expect(verdict(flatFloor, 'heap kept growth').held).toBe(true);
    // ...and a floor that rises by 6 MB of heap over the window.
    const rising = (pid: number, t: number): number => (pid === 1 ? 300 + t / 100 : refilling(pid, t));
    const leaking = run(pids, rising, [WORKER_KILLED]);
    expect(verdict(leaking, 'heap kept growth').held).toBe(false);
  });

  it('judges the heap by what each process kept after its full collections, when the metric is there', () => {
    const withKept = (kept: (t: number) => number): SoakResult => {
      const result = run(pids, refilling, [WORKER_KILLED]);
      for (const sample of result.samples) {
        // The heap in use climbs throughout; only the kept figure says whether anything stays.
        sample.heaps = sample.heaps.map((h) => ({ ...h, heapMb: 100 + sample.t / 10, keptMb: kept(sample.t) }));
      }
      return result;
    };
    expect(
      verdict(
        withKept(() => 150),
        'heap kept growth',
      ).held,
    ).toBe(true);
    expect(
      verdict(
        withKept((t) => 150 + t / 100),
        'heap kept growth',
      ).held,
    ).toBe(false);
  });

  it('holds a request under way during a fault against the fault, however long it then took to fail', () => {
    // Fault windows: 700–701 s, plus 10 s of grace.
    const failure = (sentS: number, failedS: number): SoakResult['failures'][number] => ({
      sent: sentS * 1000,
      at: failedS * 1000,
      kind: 'local',
      status: 0,
    });
    const during = run(pids, refilling, [WORKER_KILLED], [failure(700.2, 730.2), failure(650, 705)]);
    expect(verdict(during, 'requests unanswered outside').value).toBe('0');
    const after = run(pids, refilling, [WORKER_KILLED], [failure(720, 750), failure(600, 690)]);
    expect(verdict(after, 'requests unanswered outside')).toEqual(expect.objectContaining({ value: '2', held: false }));
  });
});
