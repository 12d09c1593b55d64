/** What a soak measured, and whether it held: the verdicts of issue 21's "done means". */
import type { Answer } from './load.js';
import type { StreamStats } from './streams.js';

export interface Sample {
  /** Seconds since the load started. */
  t: number;
  rssMb: number;
  fds: number;
  heapMb: number;
  handles: number;
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

/** After a fault, how long the process gets to settle before FDs and handles are compared. */
const SETTLE_S = 15;
/** Answers this long after a fault ended still belong to it (clients retrying, sessions re-made). */
const GRACE_S = 10;

/** Least-squares slope of `value` over `t`, per minute. */
export function slopePerMinute(samples: Sample[], value: (sample: Sample) => number): number {
  if (samples.length < 2) return NaN;
  const n = samples.length;
  const meanT = samples.reduce((sum, s) => sum + s.t, 0) / n;
  const meanV = samples.reduce((sum, s) => sum + value(s), 0) / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.t - meanT) * (value(s) - meanV);
    den += (s.t - meanT) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60;
}

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export function outsideFaults(result: SoakResult, answer: Answer): boolean {
  const t = (answer.at - result.startedAt) / 1000;
  return !result.faults.some((fault) => t >= fault.from && t <= fault.to + GRACE_S);
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

export interface Verdict {
  name: string;
  value: string;
  held: boolean | undefined;
}

export function verdicts(result: SoakResult): Verdict[] {
  const steady = result.samples.filter((s) => s.t >= result.warmupSeconds);
  const windowS = Math.min(20 * 60, result.seconds - result.warmupSeconds);
  const last = steady.filter((s) => s.t >= result.seconds - windowS);
  const growth = (value: (s: Sample) => number): number => slopePerMinute(last, value) * (windowS / 60);
  const rssGrowth = growth((s) => s.rssMb);
  const heapGrowth = growth((s) => s.heapMb);
  // Growth over less than 10 minutes says little: reported, not judged.
  const judged = windowS >= 600;
  const errors = result.answers.filter((a) => a.status >= 500 && outsideFaults(result, a));
  const unanswered = result.failures.filter((a) => outsideFaults(result, a));
  const fdRecovery = recoveries(result);
  return [
    {
      name: `RSS growth over the last ${(windowS / 60).toFixed(1)} min`,
      value: `${rssGrowth.toFixed(1)} MB`,
      held: judged ? rssGrowth < 5 : undefined,
    },
    {
      name: `heap growth over the last ${(windowS / 60).toFixed(1)} min`,
      value: `${heapGrowth.toFixed(1)} MB`,
      held: judged ? heapGrowth < 5 : undefined,
    },
    {
      name: 'FDs and handles back after each fault',
      value: `${fdRecovery.filter((r) => r.recovered).length} of ${fdRecovery.length}`,
      held: fdRecovery.every((r) => r.recovered),
    },
    {
      name: 'events lost on resumed streams (same instance)',
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
    (v) =>
      `| ${v.name} | ${v.value} | ${v.held === undefined ? 'not judged (run too short)' : v.held ? 'held' : 'FAILED'} |`,
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
      `(${s.endedByServer} after the server ended the stream, ${s.refused} refused, ${s.bootChanges} onto another boot); ` +
      `WebSocket: ${s.wsMessages} messages, ${s.wsReconnects} reconnects.`,
    `Answers: ${statusCounts(result.answers)}; no answer: ${result.failures.length}.`,
    '',
  ].join('\n');
}
