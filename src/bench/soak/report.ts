/** What a soak measured, and whether it held: the verdicts of issue 21's "done means". */
import type { Answer } from './load.js';
import type { StreamStats } from './streams.js';

export interface Sample {
  /** Seconds since the load started. */
  t: number;
  /** Requests answered (or failed) and stream events delivered since the sample before. */
  answers: number;
  events: number;
  /** Summed over the serving processes. */
  rssMb: number;
  fds: number;
  /** Of the process that answered the first /metrics request. */
  heapMb: number;
  handles: number;
  /** Each serving process (/proc). */
  processes: ProcessSample[];
  /** Each process that answered a /metrics request, by its start time. */
  heaps: HeapSample[];
}

export interface ProcessSample {
  pid: number;
  rssMb: number;
  fds: number;
}

export interface HeapSample {
  /** `process_start_time_seconds`: with `worker`, which process it is. */
  startedAt: number;
  /** The worker's slot (`worker` label) in `workers: N`; absent for one process. */
  worker?: string;
  heapMb: number;
  /** `saltapid_heap_after_gc_bytes`: the heap kept after the latest full collection (NaN before one). */
  keptMb?: number;
}

export interface FaultWindow {
  name: string;
  /** Seconds since the load started. */
  from: number;
  to: number;
}

export interface SoakResult {
  seconds: number;
  warmupSeconds: number;
  samples: Sample[];
  faults: FaultWindow[];
  answers: Answer[];
  failures: Answer[];
  streams: StreamStats;
  startedAt: number;
}

/** The fault that replaces a process: the summed RSS restarts with it. */
export const WORKER_KILLED = 'worker killed';

/** After a fault, how long the process gets to settle before FDs and handles are compared. */
const SETTLE_S = 15;
/** Answers this long after a fault ended still belong to it (clients retrying, sessions re-made). */
const GRACE_S = 10;

/**
 * How much memory grew over a window, from its first quarter to its last, each quarter summed up
 * by `statistic` (a peak or a trough). Memory saws up and down: the heap with the collector, RSS
 * also when the allocator hands pages back (a worker's RSS drops by 100 MB or more some minutes
 * after a sibling is killed and the connections move). A line fitted through the samples tilts
 * with a dip near either end of the window; a quarter's peak does not, nor a quarter's trough of
 * the heap, which is what the collector could not free: a leak raises both.
 */
export function quarterGrowth<P extends { t: number }>(
  samples: P[],
  value: (sample: P) => number,
  fromS: number,
  toS: number,
  statistic: (values: number[]) => number = peak,
): number {
  const quarter = (toS - fromS) / 4;
  const of = (start: number): number =>
    statistic(samples.filter((s) => s.t >= start && s.t <= start + quarter).map(value));
  // The two quarters lie three quarters of the window apart: a steady climb over the whole window is 4/3 of theirs.
  return ((of(toS - quarter) - of(fromS)) * 4) / 3;
}

export const peak = (values: number[]): number => Math.max(...values);
export const trough = (values: number[]): number => Math.min(...values);

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Whether a request was under way at no time of a fault (or its grace): sent after, or answered before. */
export function outsideFaults(result: SoakResult, answer: Answer): boolean {
  const sent = (answer.sent - result.startedAt) / 1000;
  const answered = (answer.at - result.startedAt) / 1000;
  return !result.faults.some((fault) => answered >= fault.from && sent <= fault.to + GRACE_S);
}

export interface FaultRecovery {
  fault: FaultWindow;
  fdsBefore: number;
  fdsAfter: number;
  handlesBefore: number;
  handlesAfter: number;
  recovered: boolean;
}

export function recoveries(result: SoakResult): FaultRecovery[] {
  return result.faults.map((fault) => {
    const before = result.samples.filter((s) => s.t >= fault.from - 30 && s.t < fault.from);
    const after = result.samples.filter((s) => s.t >= fault.to + SETTLE_S && s.t < fault.to + SETTLE_S + 30);
    const fdsBefore = median(before.map((s) => s.fds));
    const fdsAfter = median(after.map((s) => s.fds));
    const handlesBefore = median(before.map((s) => s.handles));
    const handlesAfter = median(after.map((s) => s.handles));
    // Connections in flight come and go with the load: "back" means within what the load itself moves.
    const back = (b: number, a: number): boolean => Number.isNaN(a) || a <= b + Math.max(10, b * 0.1);
    return {
      fault,
      fdsBefore,
      fdsAfter,
      handlesBefore,
      handlesAfter,
      recovered: back(fdsBefore, fdsAfter) && back(handlesBefore, handlesAfter),
    };
  });
}

/** One process's growth over the judged window: only one that lived through all of it is judged. */
export interface ProcessGrowth {
  /** `pid 123` or `heap of the process started at …`. */
  who: string;
  growthMb: number;
}

/**
 * The growth, over the window from `fromS` to the end, of each series (one per process) that was
 * sampled at its start and still at its end. A process born or killed within it (a replaced
 * worker) refills its caches from nothing: its climb says nothing of a leak, and it is not judged
 * here (its descriptors are, by the fault recoveries).
 */
function growthOfSurvivors(
  series: Series,
  fromS: number,
  toS: number,
  slack: number,
  label: (key: number) => string,
  statistic: (values: number[]) => number,
): ProcessGrowth[] {
  const grown: ProcessGrowth[] = [];
  for (const [key, points] of series) {
    if (points.filter((p) => p.t >= fromS).length < 2) continue;
    if (points[0]!.t > fromS + slack || points.at(-1)!.t < toS - slack) continue;
    grown.push({ who: label(key), growthMb: quarterGrowth(points, (p) => p.value, fromS, toS, statistic) });
  }
  return grown;
}

type Series = Map<number, Array<{ t: number; value: number }>>;

/** One series per process: `of(sample)` gives each process's key and value in that sample. */
function seriesOf(result: SoakResult, of: (sample: Sample) => Array<[key: number, value: number]>): Series {
  const series: Series = new Map();
  for (const sample of result.samples) {
    for (const [key, value] of of(sample)) {
      let points = series.get(key);
      if (points === undefined) series.set(key, (points = []));
      points.push({ t: sample.t, value });
    }
  }
  return series;
}

export function rssGrowthByProcess(result: SoakResult, fromS: number): ProcessGrowth[] {
  const series = seriesOf(result, (sample) => sample.processes.map((p) => [p.pid, p.rssMb]));
  const lastT = result.samples.at(-1)?.t ?? 0;
  return growthOfSurvivors(series, fromS, lastT, sampleSlack(result), (pid) => `pid ${pid}`, peak);
}

/**
 * The heap each process kept: after its latest full collection where the metric says so (judged by
 * quarter medians: a leak raises them, a collection's timing does not), else the heap in use
 * (judged by its quarter troughs: what the collector could not free; its peaks move with when it ran).
 */
export function heapGrowthByProcess(result: SoakResult, fromS: number): ProcessGrowth[] {
  const kept = result.samples.some((sample) => sample.heaps.some((h) => Number.isFinite(h.keptMb)));
  const series = seriesOf(result, (sample) =>
    sample.heaps
      .filter((h) => !kept || Number.isFinite(h.keptMb))
      .map((h) => [processKey(h), kept ? (h.keptMb ?? NaN) : h.heapMb]),
  );
  const lastT = result.samples.at(-1)?.t ?? 0;
  // A worker answers /metrics only when the balancer hands it the connection: allow a few misses.
  return growthOfSurvivors(
    series,
    fromS,
    lastT,
    sampleSlack(result) * 4,
    (key) => {
      const started = new Date(Math.floor(key / 100) * 1000).toISOString().slice(11, 19);
      return `${key % 100 === 0 ? 'process' : `worker ${(key % 100) - 1}`} started ${started}`;
    },
    kept ? median : trough,
  );
}

/** One number per process: its start (whole seconds, shared by workers forked together) and its slot. */
function processKey(heap: HeapSample): number {
  return Math.round(heap.startedAt) * 100 + (heap.worker === undefined ? 0 : Number(heap.worker) + 1);
}

/** How far apart samples are (their median gap): the slack for "sampled at the window's ends". */
function sampleSlack(result: SoakResult): number {
  const gaps = result.samples.slice(1).map((s, i) => s.t - result.samples[i]!.t);
  return Math.max(1, median(gaps) * 2);
}

function describeGrowth(grown: ProcessGrowth[]): string {
  if (grown.length === 0) return 'no process lived through the window';
  return grown.map((g) => `${g.who}: ${g.growthMb.toFixed(1)} MB`).join('; ');
}

export interface Verdict {
  name: string;
  value: string;
  held: boolean | undefined;
}

export function verdicts(result: SoakResult): Verdict[] {
  const steady = result.samples.filter((s) => s.t >= result.warmupSeconds);
  const windowS = Math.min(20 * 60, result.seconds - result.warmupSeconds);
  const last = steady.filter((s) => s.t >= result.seconds - windowS);
  const lastT = result.samples.at(-1)?.t ?? 0;
  const growth = (value: (s: Sample) => number): number => quarterGrowth(last, value, result.seconds - windowS, lastT);
  const fromS = result.seconds - windowS;
  const rssGrown = rssGrowthByProcess(result, fromS);
  const heapGrown = heapGrowthByProcess(result, fromS);
  const flat = (grown: ProcessGrowth[]): boolean => grown.length > 0 && grown.every((g) => g.growthMb < 5);
  // Growth over less than 10 minutes says little: reported, not judged.
  const judged = windowS >= 600;
  const errors = result.answers.filter((a) => a.status >= 500 && outsideFaults(result, a));
  const unanswered = result.failures.filter((a) => outsideFaults(result, a));
  const fdRecovery = recoveries(result);
  return [
    {
      name: `RSS growth over the last ${(windowS / 60).toFixed(1)} min, each process that lived through it`,
      value: describeGrowth(rssGrown),
      held: judged ? flat(rssGrown) : undefined,
    },
    {
      name: `heap kept growth over the last ${(windowS / 60).toFixed(1)} min, each process that lived through it`,
      value: describeGrowth(heapGrown),
      held: judged ? flat(heapGrown) : undefined,
    },
    {
      name: `RSS growth over the last ${(windowS / 60).toFixed(1)} min, all serving processes summed`,
      value: `${growth((s) => s.rssMb).toFixed(1)} MB`,
      // Replaced workers refill their caches: the sum is shown, each process is judged above.
      held: judged && result.faults.every((f) => f.name !== WORKER_KILLED) ? growth((s) => s.rssMb) < 5 : undefined,
    },
    {
      name: 'FDs and handles back after each fault',
      value: `${fdRecovery.filter((r) => r.recovered).length} of ${fdRecovery.length}`,
      held: fdRecovery.every((r) => r.recovered),
    },
    {
      name: 'events lost on resumed streams (any worker)',
      value: String(result.streams.lost),
      held: result.streams.lost === 0,
    },
    { name: 'events delivered twice', value: String(result.streams.duplicated), held: result.streams.duplicated === 0 },
    { name: '5xx outside fault windows', value: String(errors.length), held: errors.length === 0 },
    {
      name: 'requests unanswered outside fault windows',
      value: String(unanswered.length),
      held: unanswered.length === 0,
    },
  ];
}

function statusCounts(answers: Answer[]): string {
  const counts = new Map<string, number>();
  for (const answer of answers) {
    const key = `${answer.kind} ${answer.status}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, count]) => `${key}: ${count}`)
    .join(', ');
}

export function markdown(result: SoakResult): string {
  const rows = verdicts(result).map(
    (v) => `| ${v.name} | ${v.value} | ${v.held === undefined ? 'not judged' : v.held ? 'held' : 'FAILED'} |`,
  );
  const faults = recoveries(result).map(
    (r) =>
      `| ${r.fault.name} at ${r.fault.from.toFixed(0)} s | ${(r.fault.to - r.fault.from).toFixed(1)} s | ` +
      `${r.fdsBefore} → ${r.fdsAfter} | ${r.handlesBefore} → ${r.handlesAfter} | ${r.recovered ? 'yes' : 'NO'} |`,
  );
  const s = result.streams;
  return [
    `Soak: ${(result.seconds / 60).toFixed(1)} min (warm-up ${(result.warmupSeconds / 60).toFixed(1)} min), ${result.samples.length} samples, ${result.answers.length} answers`,
    '',
    '| check | value | verdict |',
    '|---|---|---|',
    ...rows,
    '',
    '| fault | down | FDs before → after | handles before → after | back |',
    '|---|---|---|---|---|',
    ...faults,
    '',
    `Streams: ${s.delivered} events delivered, ${s.gapped} owned up to by gap blocks, ${s.reconnects} resumes ` +
      `(${s.endedByServer} after the server ended the stream, ${s.refused} refused, ${s.unverifiable} not seen by the recorder); ` +
      `WebSocket: ${s.wsMessages} messages, ${s.wsReconnects} reconnects.`,
    `Answers: ${statusCounts(result.answers)}; no answer: ${result.failures.length}.`,
    '',
  ].join('\n');
}
