#!/usr/bin/env node
/**
 * `npm run bench`: salt-apid under load against the demo master, each in its own process as in a
 * real deployment (master, salt-apid, load generator), or — with `--url` — any running
 * salt-api-compatible server, the original included:
 *
 *   npm run bench -- --url http://127.0.0.1:8000 --user saltdev --password saltdev [--eauth pam] [--pid N]
 *
 * Prints Markdown tables for BENCHMARKS.md and writes .bench/results.json. BENCH_DURATION (seconds
 * per workload, default 10) and BENCH_ONLY (a substring of workload names, `SSE fan-out` or
 * `abuse`) narrow a run. The abuse section runs against another server only when asked for by
 * name: it is built to stall servers without bounds.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { abuseTable, runAbuse, type AbuseRow } from './abuse.js';
import { fanoutTable, sseFanout, type FanoutRow } from './fanout.js';
import { DEMO_CREDENTIALS, remoteTarget, startLocalTarget, type Target } from './target.js';
import { measure, workloadTable, workloads, type Row } from './workloads.js';

const DURATION = Number(process.env['BENCH_DURATION'] ?? 10);
const ONLY = process.env['BENCH_ONLY'];

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    user: { type: 'string', default: DEMO_CREDENTIALS.username },
    password: { type: 'string', default: DEMO_CREDENTIALS.password },
    eauth: { type: 'string', default: DEMO_CREDENTIALS.eauth },
    pid: { type: 'string' },
  },
});

async function openTarget(): Promise<Target> {
  if (values.url === undefined) return startLocalTarget(Number(process.env['BENCH_PORT'] ?? 18080));
  const credentials = { username: values.user, password: values.password, eauth: values.eauth };
  return remoteTarget(values.url, credentials, values.pid === undefined ? undefined : Number(values.pid));
}

function wanted(section: string, byDefault: boolean): boolean {
  return ONLY === undefined ? byDefault : section.includes(ONLY);
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
      abuse,
    };
    await mkdir('.bench', { recursive: true });
    await writeFile(join('.bench', 'results.json'), `${JSON.stringify(summary, null, 2)}\n`);
    const tables = [
      ...(rows.length > 0 ? [workloadTable(rows)] : []),
      ...(fanout.length > 0 ? [fanoutTable(fanout)] : []),
      ...(abuse.length > 0 ? [abuseTable(abuse)] : []),
    ];
    const startup = startupMs === undefined ? '' : `Start to first 200 on GET /: ${startupMs} ms; `;
    process.stdout.write(`${tables.join('\n\n')}\n\n${startup}idle RSS ${idleRssMb.toFixed(0)} MB.\n`);
    if (rows.some((r) => r.failures > 0) || fanout.some((r) => r.delivered < r.clients * r.events))
      process.exitCode = 1;
  } finally {
    await target.close();
  }
}

await main();
