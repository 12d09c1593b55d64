#!/usr/bin/env node
/**
 * `npm run bench`: salt-apid under load against the demo master, each in its own process as in a
 * real deployment (master, salt-apid, load generator), or — with `--url` — any running
 * salt-api-compatible server, the original included:
 *
 *   npm run bench -- --url http://127.0.0.1:8000 --user saltdev --password saltdev [--eauth pam] [--pid N] [--sock-dir DIR]
 *
 * Prints Markdown tables for BENCHMARKS.md and writes .bench/results.json. BENCH_DURATION (seconds
 * per workload, default 10) and BENCH_ONLY (a substring of workload names, `SSE fan-out`,
 * `capacity model`, `long jobs`, `fleet size`, `request floor` or `abuse`) narrow a run; BENCH_FLEET
 * the fleet sizes (`100,1000,10000`), and BENCH_WHOLE_BUS=1 has its probe reader take the whole bus
 * (no `?tag=`, which salt-api lacks); BENCH_LONG_SLEEP, BENCH_LONG_BURST, BENCH_LONG_RAND_MAX and
 * BENCH_LONG_REST set the long-jobs runs' sleep, burst, rand_sleep and rest seconds (8, 15, 10, 35). BENCH_CAPACITY
 * sets the demo master's capacity model for `capacity model` (e.g.
 * `publish=40,return=10,cores=2,job=50,find_job=50,shared=1`) and BENCH_CAPACITY_DURATION its seconds
 * per row (default 30). The abuse section runs against another
 * server only when asked for by name: it is built to stall servers without bounds.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { abuseTable, runAbuse, type AbuseRow } from './abuse.js';
import { capacityTable, measureCapacity, type CapacityRow } from './capacity.js';
import { fanoutTable, sseFanout, type FanoutRow } from './fanout.js';
import { fleetTable, measureFleet, measureFleetOn, type FleetRow } from './fleet.js';
import { floorTable, measureFloor, type FloorResult } from './floor.js';
import { longJobsTable, measureLongJobs, type LongJobsRow } from './long-jobs.js';
import { DEMO_CREDENTIALS, remoteTarget, startLocalTarget, type Target } from './target.js';
import { measure, measureVariant, workloadTable, workloads, type Row } from './workloads.js';

const DURATION = Number(process.env['BENCH_DURATION'] ?? 10);
const ONLY = process.env['BENCH_ONLY'];
/** The demo master's capacity model for the `capacity model` section (src/demo/capacity.ts). */
const CAPACITY_MODEL = process.env['BENCH_CAPACITY'] ?? 'default';
/** Seconds per row there: an overloaded master needs time to show where it settles (default 30). */
const CAPACITY_DURATION = Number(process.env['BENCH_CAPACITY_DURATION'] ?? 30);
/** The fleet sizes of the `fleet size` section (simulated minions), e.g. `100,1000,10000`. */
const FLEET_SIZES = (process.env['BENCH_FLEET'] ?? '100,1000,10000').split(',').map(Number);

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    user: { type: 'string', default: DEMO_CREDENTIALS.username },
    password: { type: 'string', default: DEMO_CREDENTIALS.password },
    eauth: { type: 'string', default: DEMO_CREDENTIALS.eauth },
    pid: { type: 'string' },
    'sock-dir': { type: 'string' },
  },
});

async function openTarget(): Promise<Target> {
  if (values.url === undefined) return startLocalTarget(Number(process.env['BENCH_PORT'] ?? 18080));
  const credentials = { username: values.user, password: values.password, eauth: values.eauth };
  const pid = values.pid === undefined ? undefined : Number(values.pid);
  return remoteTarget(values.url, credentials, pid, values['sock-dir']);
}

function wanted(section: string, byDefault: boolean): boolean {
  return ONLY === undefined ? byDefault : section.includes(ONLY);
}

interface MetricsCostRow {
  workload: string;
  connections: number;
  withMetrics: number;
  withoutMetrics: number;
}

/** GET / and /hook with Prometheus metrics on (the target) and off (a second salt-apid, `metrics: false`). */
async function measureMetricsCost(withMetrics: Target): Promise<MetricsCostRow[]> {
  const picked = (target: Target) =>
    workloads(target.credentials).filter(
      (w) => w.connections === 32 && (w.path === '/' ? w.method === 'GET' : w.path.startsWith('/hook')),
    );
  const without = await startLocalTarget(Number(process.env['BENCH_PORT'] ?? 18080) + 1, { metrics: 'false' });
  try {
    const rows: MetricsCostRow[] = [];
    const tokens = { with: await withMetrics.login(), without: await without.login() };
    for (const workload of picked(withMetrics)) {
      process.stderr.write(`metrics cost: ${workload.name} @${workload.connections}… `);
      const on = await measure(withMetrics, workload, workload.auth ? tokens.with : '', DURATION);
      const off = await measure(without, workload, workload.auth ? tokens.without : '', DURATION);
      process.stderr.write(`${on.rps.toFixed(0)} vs ${off.rps.toFixed(0)} req/s\n`);
      rows.push({
        workload: workload.name,
        connections: workload.connections,
        withMetrics: on.rps,
        withoutMetrics: off.rps,
      });
    }
    return rows;
  } finally {
    await without.close();
  }
}

function metricsCostTable(rows: MetricsCostRow[]): string {
  const lines = [
    '| workload | connections | req/s, metrics on | req/s, `metrics: false` | cost |',
    '|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const cost = ((1 - r.withMetrics / r.withoutMetrics) * 100).toFixed(1);
    lines.push(
      `| ${r.workload} | ${r.connections} | ${r.withMetrics.toFixed(0)} | ${r.withoutMetrics.toFixed(0)} | ${cost}% |`,
    );
  }
  return lines.join('\n');
}

interface WorkersRow {
  workload: string;
  connections: number;
  /** req/s by worker count. */
  rps: Record<number, number>;
}

/** GET /, /hook and sync local with `workers: 1` and `workers: 2` (sessions in the cache for both). */
async function measureWorkers(): Promise<WorkersRow[]> {
  const rows = new Map<string, WorkersRow>();
  for (const count of [1, 2]) {
    const measured = await measureVariant(
      () =>
        startLocalTarget(
          Number(process.env['BENCH_PORT'] ?? 18080) + 2,
          { session_store: 'cache', workers: String(count) },
          { cachedir: '{work}/cache' },
        ),
      (w) =>
        w.connections === 32 &&
        ((w.path === '/' && w.method === 'GET') || w.path.startsWith('/hook') || w.name.includes('sync')),
      `workers: ${count}`,
      DURATION,
    );
    for (const row of measured) {
      const key = `${row.name}@${row.connections}`;
      const entry = rows.get(key) ?? { workload: row.name, connections: row.connections, rps: {} };
      entry.rps[count] = row.rps;
      rows.set(key, entry);
    }
  }
  return [...rows.values()];
}

function workersTable(rows: WorkersRow[]): string {
  const lines = ['| workload | connections | req/s, 1 worker | req/s, 2 workers |', '|---|---|---|---|'];
  for (const r of rows) {
    lines.push(
      `| ${r.workload} | ${r.connections} | ${(r.rps[1] ?? NaN).toFixed(0)} | ${(r.rps[2] ?? NaN).toFixed(0)} |`,
    );
  }
  return lines.join('\n');
}

/**
 * The long-jobs runs (long-jobs.ts): against a demo master of their own with the capacity model, or
 * against the `--url` target (a real master behind it) when asked for by name.
 */
async function runLongJobs(target: Target): Promise<LongJobsRow[]> {
  const options = {
    sleepS: Number(process.env['BENCH_LONG_SLEEP'] ?? 8),
    burstS: Number(process.env['BENCH_LONG_BURST'] ?? 15),
    randMaxS: Number(process.env['BENCH_LONG_RAND_MAX'] ?? 10),
    restS: Number(process.env['BENCH_LONG_REST'] ?? 35),
  };
  if (!target.local) return measureLongJobs(target, await target.login(), options);
  const port = Number(process.env['BENCH_PORT'] ?? 18080) + 4;
  const modelled = await startLocalTarget(port, {}, {}, ['--capacity', CAPACITY_MODEL]);
  try {
    return await measureLongJobs(modelled, await modelled.login(), options);
  } finally {
    await modelled.close();
  }
}

/** The Markdown tables of what a run measured, in BENCHMARKS.md's order. */
function tablesOf(run: {
  rows: Row[];
  fanout: FanoutRow[];
  metricsCost: MetricsCostRow[];
  workers: WorkersRow[];
  capacity: CapacityRow[];
  longJobs: LongJobsRow[];
  fleet: FleetRow[];
  floor: FloorResult | undefined;
  abuse: AbuseRow[];
}): string[] {
  return [
    ...(run.rows.length > 0 ? [workloadTable(run.rows)] : []),
    ...(run.fanout.length > 0 ? [fanoutTable(run.fanout)] : []),
    ...(run.metricsCost.length > 0 ? [metricsCostTable(run.metricsCost)] : []),
    ...(run.workers.length > 0 ? [workersTable(run.workers)] : []),
    ...(run.capacity.length > 0 ? [capacityTable(run.capacity)] : []),
    ...(run.longJobs.length > 0 ? [longJobsTable(run.longJobs)] : []),
    ...(run.fleet.length > 0 ? [fleetTable(run.fleet)] : []),
    ...(run.floor !== undefined ? [floorTable(run.floor)] : []),
    ...(run.abuse.length > 0 ? [abuseTable(run.abuse)] : []),
  ];
}

async function main(): Promise<void> {
  const target = await openTarget();
  try {
    let token = '';
    const session = async (): Promise<string> => (token === '' ? (token = await target.login()) : token);
    const rows: Row[] = [];
    for (const workload of workloads(target.credentials).filter((w) => wanted(w.name, true))) {
      process.stderr.write(`${workload.name} @${workload.connections}… `);
      const row = await measure(target, workload, workload.auth ? await session() : '', DURATION);
      process.stderr.write(`${row.rps.toFixed(0)} req/s\n`);
      rows.push(row);
    }
    const fanout: FanoutRow[] = [];
    if (wanted('SSE fan-out', true)) {
      for (const clients of [1, 100, 1_000]) {
        process.stderr.write(`SSE fan-out to ${clients} clients… `);
        const row = await sseFanout(target, clients, await session());
        process.stderr.write(`p50 ${row.p50.toFixed(1)} ms, p99 ${row.p99.toFixed(1)} ms\n`);
        fanout.push(row);
      }
    }
    if (wanted('SSE filtered fan-out', true)) {
      // The same 1,000 clients and 9 other events per timed one: reading the whole bus, then `?tag=`.
      for (const filtered of [false, true]) {
        process.stderr.write(`SSE fan-out to 1000 clients, ${filtered ? 'filtered' : 'whole bus'}, 9x noise… `);
        const row = await sseFanout(target, 1_000, await session(), { filtered, noise: 9 });
        process.stderr.write(`p50 ${row.p50.toFixed(1)} ms, p99 ${row.p99.toFixed(1)} ms\n`);
        fanout.push(row);
      }
    }
    const metricsCost = target.local && wanted('metrics cost', true) ? await measureMetricsCost(target) : [];
    const workerRows = target.local && wanted('workers', true) ? await measureWorkers() : [];
    const capacity: CapacityRow[] =
      target.local && wanted('capacity model', true)
        ? await measureCapacity(Number(process.env['BENCH_PORT'] ?? 18080) + 3, CAPACITY_DURATION, CAPACITY_MODEL)
        : [];
    const longJobs: LongJobsRow[] = wanted('long jobs', target.local) ? await runLongJobs(target) : [];
    // Against `--url`, when asked for by name: the server's master simulates the first BENCH_FLEET size
    // (a standalone demo master with `--minions N --cachedir DIR`, which the original salt-api can use).
    const fleet: FleetRow[] = !wanted('fleet size', target.local)
      ? []
      : target.local
        ? await measureFleet(Number(process.env['BENCH_PORT'] ?? 18080) + 5, FLEET_SIZES)
        : await measureFleetOn(target, FLEET_SIZES[0] ?? 0);
    const floor: FloorResult | undefined =
      target.local && wanted('request floor', true)
        ? await measureFloor(target, Number(process.env['BENCH_PORT'] ?? 18080) + 6, DURATION)
        : undefined;
    const abuse: AbuseRow[] = wanted('abuse', target.local) ? await runAbuse(target) : [];
    const { startupMs, idleRssMb } = target;
    const summary = {
      date: new Date().toISOString(),
      target: target.base,
      durationSeconds: DURATION,
      startupMs,
      idleRssMb,
      rows,
      fanout,
      metricsCost,
      workers: workerRows,
      capacity,
      longJobs,
      fleet,
      floor,
      abuse,
    };
    await mkdir('.bench', { recursive: true });
    await writeFile(join('.bench', 'results.json'), `${JSON.stringify(summary, null, 2)}\n`);
    const tables = tablesOf(summary);
    const startup = startupMs === undefined ? '' : `Start to first 200 on GET /: ${startupMs} ms; `;
    process.stdout.write(`${tables.join('\n\n')}\n\n${startup}idle RSS ${idleRssMb.toFixed(0)} MB.\n`);
    if (rows.some((r) => r.failures > 0) || fanout.some((r) => r.delivered < r.clients * r.events))
      process.exitCode = 1;
  } finally {
    await target.close();
  }
}

await main();
