#!/usr/bin/env node
/**
 * `npm run soak`: salt-apid under a mixed load for a long time against the standalone demo master,
 * with faults injected, its memory and descriptors sampled (issue 21):
 *
 *   node dist/bench/soak.js [--minutes 30] [--warmup 10] [--sample 5] [--fault-every 120]
 *                           [--readers 12] [--ws 4] [--workers N] [--redis] [--json FILE]
 *                           [--heap-snapshots DIR]
 *
 * Load: logins and logouts, sync and async jobs, runners, hooks of 512 bytes and 256 KB, `/events`
 * readers (steady, slow, stalling) that resume with Last-Event-ID, `/ws` clients. Faults, in turn:
 * the master restarted (its event bus dropped with it), the bus alone dropped, Redis stopped and
 * started (`--redis`, which puts sessions in Redis), a worker killed (`--workers 2`; always the
 * youngest). Every `--sample` seconds: RSS and open FDs of each serving process (/proc), heap
 * and active handles (/metrics: one scrape tells each worker's own series). Memory is judged per process, for those
 * that lived through the last 20 minutes; the warm-up (10 min) outlasts the replay ring's 300 s.
 * Each sample also counts the answers and stream events since the one before (is the load steady?).
 * `--heap-snapshots DIR`: each serving process writes a heap snapshot there as the judged window
 * opens and again before the load stops, to diff in DevTools when memory climbs.
 * Prints a Markdown report; exits 1 when a check it judges failed.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { sleep } from './events-client.js';
import { AnswerLog, Session, startLoad } from './soak/load.js';
import {
  markdown,
  verdicts,
  WORKER_KILLED,
  type FaultWindow,
  type HeapSample,
  type ProcessSample,
  type Sample,
} from './soak/report.js';
import { SoakRig } from './soak/rig.js';
import { BusOrder, emptyStreamStats, runReader, runWsClient, type ReaderKind } from './soak/streams.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '10' },
    sample: { type: 'string', default: '5' },
    'fault-every': { type: 'string', default: '120' },
    readers: { type: 'string', default: '12' },
    ws: { type: 'string', default: '4' },
    workers: { type: 'string', default: '1' },
    redis: { type: 'boolean', default: false },
    json: { type: 'string' },
    'heap-snapshots': { type: 'string' },
  },
});

const seconds = Number(values.minutes) * 60;
const warmupSeconds = Math.min(Number(values.warmup) * 60, seconds / 2);
const workers = Number(values.workers);
const heapSnapshotDir = values['heap-snapshots'];
const rig = await SoakRig.start({ workers, redis: values.redis, heapSnapshotDir });
const startedAt = Date.now();
const elapsed = (): number => (Date.now() - startedAt) / 1000;
let running = true;
const isRunning = (): boolean => running;

const log = new AnswerLog();
const session = new Session(rig.base, log);
// Streams on sessions of their own: a session may hold 16 (max_streams_per_session).
const readerSession = new Session(rig.base, log);
const wsSession = new Session(rig.base, log);
const streams = emptyStreamStats();
const busOrder = new BusOrder();
const readerContext = {
  base: rig.base,
  token: () => readerSession.get(),
  invalidate: () => readerSession.invalidate(),
  stats: streams,
  running: isRunning,
};
const wsContext = { ...readerContext, token: () => wsSession.get(), invalidate: () => wsSession.invalidate() };
const kinds: ReaderKind[] = ['steady', 'steady', 'slow', 'stall'];
const tasks = [
  ...startLoad({ base: rig.base, log, session, running: isRunning }),
  // The recorder numbers the bus's events; every other reader is checked against its order.
  runReader(readerContext, 'steady', busOrder, true),
  ...Array.from({ length: Number(values.readers) }, (_, i) =>
    runReader(readerContext, kinds[i % kinds.length]!, busOrder),
  ),
  ...Array.from({ length: Number(values.ws) }, () => runWsClient(wsContext)),
];

async function processSample(pid: number): Promise<ProcessSample> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const rssKb = Number(/VmRSS:\s+([0-9]+)/.exec(status)?.[1] ?? 0);
  return { pid, rssMb: rssKb / 1024, fds: await rig.openFds(pid) };
}

/** /metrics over a connection of its own, so that the workers' balancer may hand it to any worker. */
async function metricsText(): Promise<string> {
  return fetch(`${rig.base}/metrics`, { headers: { Connection: 'close' } }).then(
    (res) => res.text(),
    () => '',
  );
}

/** Each series of `name` by its `worker` label ('' where it has none: one process). */
function byWorker(metrics: string, name: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const match of metrics.matchAll(new RegExp(`^${name}(?:\\{worker="(\\d+)"\\})? ([0-9.e+-]+)$`, 'gm'))) {
    series.set(match[1] ?? '', Number(match[2]));
  }
  return series;
}

const sumOf = (series: Map<string, number>): number =>
  series.size === 0 ? NaN : [...series.values()].reduce((sum, value) => sum + value, 0);

/** Answers and stream events up to the previous sample: each sample counts those since. */
const counted = { answers: 0, events: 0 };

async function sample(): Promise<Sample> {
  const processes = (await Promise.all((await rig.servingPids()).map(processSample))).filter((p) => p.rssMb > 0);
  // Whichever worker answers tells every worker's own series (`worker` label) in one scrape.
  const text = await metricsText();
  const heapUsed = byWorker(text, 'nodejs_heap_size_used_bytes');
  const kept = byWorker(text, 'saltapid_heap_after_gc_bytes');
  const heaps: HeapSample[] = [...byWorker(text, 'process_start_time_seconds')].map(([worker, startedAt]) => ({
    startedAt,
    ...(worker !== '' && { worker }),
    heapMb: (heapUsed.get(worker) ?? NaN) / 1024 / 1024,
    keptMb: (kept.get(worker) ?? NaN) / 1024 / 1024,
  }));
  const answered = log.answers.length + log.failures.length;
  const delivered = streams.delivered;
  const counts = { answers: answered - counted.answers, events: delivered - counted.events };
  counted.answers = answered;
  counted.events = delivered;
  return {
    t: elapsed(),
    ...counts,
    rssMb: processes.reduce((sum, p) => sum + p.rssMb, 0),
    fds: processes.reduce((sum, p) => sum + p.fds, 0),
    heapMb: sumOf(heapUsed) / 1024 / 1024,
    handles: sumOf(byWorker(text, 'nodejs_active_handles_total')),
    processes,
    heaps,
  };
}

// A worker is killed first, so that every fault kind strikes early; the heap samples tell processes
// apart by the worker's slot and `process_start_time_seconds` (a replacement takes the dead one's slot).
const faultKinds: Array<{ name: string; inject: () => Promise<unknown> }> = [
  ...(workers > 1 ? [{ name: WORKER_KILLED, inject: () => rig.killWorker() }] : []),
  { name: 'master restarted', inject: () => rig.restartMaster(3_000) },
  { name: 'bus dropped', inject: () => rig.dropBus(3_000) },
  ...(values.redis ? [{ name: 'Redis stopped and started', inject: () => rig.restartRedis(5_000) }] : []),
];

const samples: Sample[] = [];
const faults: FaultWindow[] = [];
let nextSample = 0;
// Faults from the start: by the end of the warm-up every kind has struck, and the judged window
// is a steady run of them rather than the disturbance of the first.
let nextFault = Number(values['fault-every']) / 2;
// Heap snapshots (--heap-snapshots): as the judged window opens and just before the load stops.
const snapshotAt = [warmupSeconds, seconds - 20];
while (elapsed() < seconds) {
  if (heapSnapshotDir !== undefined && snapshotAt.length > 0 && elapsed() >= snapshotAt[0]!) {
    snapshotAt.shift();
    process.stderr.write(`soak: ${elapsed().toFixed(0)} s: heap snapshots\n`);
    await rig.heapSnapshots();
  }
  if (elapsed() >= nextSample) {
    samples.push(await sample());
    nextSample += Number(values.sample);
  }
  if (elapsed() >= nextFault && elapsed() < seconds - 45) {
    const fault = faultKinds[faults.length % faultKinds.length]!;
    const from = elapsed();
    process.stderr.write(`soak: ${from.toFixed(0)} s: ${fault.name}\n`);
    await fault.inject();
    faults.push({ name: fault.name, from, to: elapsed() });
    nextFault += Number(values['fault-every']);
  }
  await sleep(250);
}
// The load stops first; what is still in flight after that, and the closing itself, is not judged.
running = false;
const endedAt = Date.now();
await Promise.race([Promise.allSettled(tasks), sleep(10_000)]);
await rig.close();

const judged = (answer: { at: number }): boolean => answer.at <= endedAt;
const result = {
  seconds,
  warmupSeconds,
  samples,
  faults,
  answers: log.answers.filter(judged),
  failures: log.failures.filter(judged),
  streams,
  startedAt,
};
if (values.json !== undefined) await writeFile(values.json, JSON.stringify({ ...result, answers: undefined }, null, 1));
process.stdout.write(markdown(result));
// Stalled readers and retrying loops may still hold timers: the verdict is in, so end here.
process.exit(verdicts(result).some((verdict) => verdict.held === false) ? 1 : 0);
