/**
 * Fleet size (issue 24): the answers that grow with the number of minions, against a demo master
 * simulating 100, 1,000 and 10,000 of them (`--minions N`), one fresh salt-apid per size. For
 * each workload: the answer's time and size, salt-apid's CPU time and peak RSS while it ran, and
 * what other clients saw meanwhile: the delivery delay of `/events` (stamped hook events posted
 * every 50 ms, read with `?tag=` by a reader of their own) and the time of `GET /` (asked one after
 * another).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { percentile, sleep, stamp } from './events-client.js';
import type { ProbeSighting } from './probe-watch.js';
import { cpuMsOf, startLocalTarget, type Target } from './target.js';
import { markdownTable } from './markdown-table.js';

export interface FleetRow {
  minions: number;
  workload: string;
  answerMs: number;
  answerBytes: number;
  status: number;
  apiCpuMs: number;
  peakRssMb: number;
  /** Delivery delay of the stamped events during the answer, from their post (p99, max). */
  sseP99Ms: number;
  sseMaxMs: number;
  /** Of that: how late they passed on the master's bus (p99), and what salt-apid added after it (p99, max). */
  busP99Ms: number;
  addedP99Ms: number;
  addedMaxMs: number;
  /** Probe events posted during the answer, and how many of them `/events` delivered. */
  probes: number;
  probesDelivered: number;
  /** `GET /` answered during it (p99, max). */
  getP99Ms: number;
  getMaxMs: number;
}

interface Workload {
  name: string;
  request: (target: Target, token: string, jid: string) => Promise<Response>;
}

const post = (target: Target, token: string, body: Record<string, unknown>): Promise<Response> =>
  fetch(`${target.base}/`, {
    method: 'POST',
    headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ client: 'local', tgt: '*', timeout: 120, ...body }),
    signal: AbortSignal.timeout(600_000),
  });

const get = (target: Target, token: string, path: string): Promise<Response> =>
  fetch(`${target.base}${path}`, {
    headers: { 'X-Auth-Token': token, Accept: 'application/json' },
    signal: AbortSignal.timeout(600_000),
  });

const WORKLOADS: Workload[] = [
  { name: 'POST / local test.ping on *', request: (t, token) => post(t, token, { fun: 'test.ping' }) },
  { name: 'POST / local grains.items on *', request: (t, token) => post(t, token, { fun: 'grains.items' }) },
  { name: 'GET /minions (every grain)', request: (t, token) => get(t, token, '/minions') },
  { name: 'GET /jobs/<jid> (the ping)', request: (t, token, jid) => get(t, token, `/jobs/${jid}`) },
  { name: 'GET /keys', request: (t, token) => get(t, token, '/keys') },
];

const HOOK_TAG_PREFIX = 'salt/netapi/hook/';
/** The tag of the stamped events whose delivery is timed during each answer. */
const PROBE_TAG = `${HOOK_TAG_PREFIX}fleet/probe`;

/** Runs `during` in a loop until `stop` says so, collecting what it returns. */
async function loopUntil<T>(stop: () => boolean, during: () => Promise<T | undefined>): Promise<T[]> {
  const out: T[] = [];
  while (!stop()) {
    const value = await during();
    if (value !== undefined) out.push(value);
  }
  return out;
}

/**
 * BENCH_WHOLE_BUS=1: the probes are read from `/events` without `?tag=`, as salt-api (which has no
 * `?tag=`) must be measured, and as a client that wants the whole bus reads it.
 */
const WHOLE_BUS = process.env['BENCH_WHOLE_BUS'] === '1';

/** The probe watcher (probe-watch.ts) in a process of its own, connected and ready. */
async function startProbeWatch(target: Target, token: string) {
  const args = ['--url', target.base, '--token', token, '--tag', PROBE_TAG];
  if (target.sockDir !== undefined) args.push('--pub', join(target.sockDir, 'master_event_pub.ipc'));
  if (WHOLE_BUS) args.push('--whole-bus');
  const child = spawn(process.execPath, [join(import.meta.dirname, 'probe-watch.js'), ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.value !== 'ready') throw new Error('the probe watcher did not start');
  return {
    /** The probes `/events` delivered since the last report, with their bus sightings. */
    report: async (): Promise<ProbeSighting[]> => {
      child.stdin.write('report\n');
      const line = await lines.next();
      return JSON.parse(String(line.value)) as ProbeSighting[];
    },
    close: async (): Promise<void> => {
      child.stdin.end();
      await once(child, 'exit');
    },
  };
}

const sorted = (values: number[]): number[] => values.sort((a, b) => a - b);

async function measureOne(target: Target, token: string, minions: number, workload: Workload, jid: string) {
  // The probes are read with `?tag=` by a process of their own: they time what the answer's work
  // does to other streams, not how fast this process can read 10,000 returns or a 100 MB answer.
  const watch = await startProbeWatch(target, token);
  let done = false;
  let probesFired = 0;
  const stopped = (): boolean => done;
  const hooks = loopUntil(stopped, async () => {
    const res = await fetch(`${target.base}/hook/${PROBE_TAG.slice(HOOK_TAG_PREFIX.length)}`, {
      method: 'POST',
      headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ sent: stamp() }),
    }).catch(() => undefined);
    if (res?.status === 200) probesFired++;
    else process.stderr.write(`(probe ${res?.status ?? 'failed'}) `);
    await res?.body?.cancel();
    await sleep(50);
    return undefined;
  });
  const gets = loopUntil(stopped, async () => {
    const started = performance.now();
    const res = await fetch(`${target.base}/`).catch(() => undefined);
    await res?.text();
    return performance.now() - started;
  });
  const rss = loopUntil(stopped, async () => {
    await sleep(20);
    return target.rss();
  });
  const cpuBefore = await cpuMsOf(target.pid);
  const started = performance.now();
  const res = await workload.request(target, token, jid);
  const body = await res.arrayBuffer();
  const answerMs = performance.now() - started;
  const apiCpuMs = (await cpuMsOf(target.pid)) - cpuBefore;
  done = true;
  const [getTimes, rssSamples] = await Promise.all([gets, rss, hooks]);
  // Events posted during the answer may still be on their way (held up behind the answer's own
  // work): each is waited for, up to a minute, so that its delay counts rather than vanishes.
  const deadline = performance.now() + 60_000;
  const probes: ProbeSighting[] = [];
  for (;;) {
    probes.push(...(await watch.report()));
    if (probes.filter((p) => p.sse !== undefined).length >= probesFired || performance.now() > deadline) break;
    await sleep(20);
  }
  await watch.close();
  const delivered = probes.filter((p): p is ProbeSighting & { sse: number } => p.sse !== undefined);
  if (delivered.length < probesFired) {
    process.stderr.write(`(${probesFired - delivered.length} of ${probesFired} probe events never came) `);
  }
  const sse = sorted(delivered.map((p) => p.sse - p.sent));
  const onBus = delivered.filter((p): p is typeof p & { bus: number } => p.bus !== undefined);
  const bus = sorted(onBus.map((p) => p.bus - p.sent));
  const added = sorted(onBus.map((p) => p.sse - p.bus));
  const getSorted = sorted(getTimes);
  return {
    minions,
    workload: workload.name,
    answerMs,
    answerBytes: body.byteLength,
    status: res.status,
    apiCpuMs,
    peakRssMb: Math.max(...rssSamples),
    sseP99Ms: percentile(sse, 99),
    sseMaxMs: sse.at(-1) ?? NaN,
    probes: probesFired,
    probesDelivered: delivered.length,
    busP99Ms: percentile(bus, 99),
    addedP99Ms: percentile(added, 99),
    addedMaxMs: added.at(-1) ?? NaN,
    getP99Ms: percentile(getSorted, 99),
    getMaxMs: getSorted.at(-1) ?? NaN,
  } satisfies FleetRow;
}

/** The jid of a sync ping's job, from the master's job list: what `/jobs/<jid>` then looks up. */
async function lastJid(target: Target, token: string): Promise<string> {
  const res = await get(target, token, '/jobs');
  const body = (await res.json()) as { return?: Array<Record<string, { Function?: string }>> };
  const jobs = Object.entries(body.return?.[0] ?? {}).filter(([, job]) => job.Function === 'test.ping');
  return (
    jobs
      .map(([jid]) => jid)
      .sort()
      .at(-1) ?? ''
  );
}

/** The fleet workloads against one target whose master simulates `minions` minions. */
export async function measureFleetOn(target: Target, minions: number): Promise<FleetRow[]> {
  const rows: FleetRow[] = [];
  const token = await target.login();
  let jid = '';
  for (const workload of WORKLOADS) {
    process.stderr.write(`fleet of ${minions}: ${workload.name}… `);
    const row = await measureOne(target, token, minions, workload, jid);
    if (jid === '') jid = await lastJid(target, token);
    process.stderr.write(
      `${row.answerMs.toFixed(0)} ms, ${(row.answerBytes / 1e6).toFixed(1)} MB, CPU ${row.apiCpuMs} ms, ` +
        `peak RSS ${row.peakRssMb.toFixed(0)} MB, ${row.probesDelivered}/${row.probes} probes, SSE p99 ${row.sseP99Ms.toFixed(0)} ms ` +
        `(bus ${row.busP99Ms.toFixed(0)}, added ${row.addedP99Ms.toFixed(0)} / ${row.addedMaxMs.toFixed(0)}), GET / max ${row.getMaxMs.toFixed(0)} ms\n`,
    );
    rows.push(row);
  }
  return rows;
}

/** A fresh salt-apid and demo master for each fleet size. */
export async function measureFleet(port: number, sizes: number[]): Promise<FleetRow[]> {
  const rows: FleetRow[] = [];
  for (const minions of sizes) {
    const target = await startLocalTarget(port, {}, {}, ['--minions', String(minions)]);
    try {
      rows.push(...(await measureFleetOn(target, minions)));
    } finally {
      await target.close();
    }
  }
  return rows;
}

export function fleetTable(rows: FleetRow[]): string {
  return markdownTable(
    [
      'minions',
      'workload',
      'status',
      'answer',
      'size',
      'API CPU',
      'CPU per minion',
      'peak RSS',
      'SSE p99 / max',
      'on the bus p99',
      'added p99 / max',
      'GET / p99 / max',
    ],
    rows,
    (r) => [
      r.minions,
      r.workload,
      r.status,
      `${r.answerMs.toFixed(0)} ms`,
      `${(r.answerBytes / 1e6).toFixed(2)} MB`,
      `${r.apiCpuMs} ms`,
      `${((r.apiCpuMs * 1000) / r.minions).toFixed(0)} µs`,
      `${r.peakRssMb.toFixed(0)} MB`,
      `${r.sseP99Ms.toFixed(0)} / ${r.sseMaxMs.toFixed(0)} ms`,
      `${r.busP99Ms.toFixed(0)} ms`,
      `${r.addedP99Ms.toFixed(0)} / ${r.addedMaxMs.toFixed(0)} ms`,
      `${r.getP99Ms.toFixed(1)} / ${r.getMaxMs.toFixed(0)} ms`,
    ],
  );
}
