/** Request workloads under autocannon: one row of the table each. */
import autocannon from 'autocannon';
import type { Credentials, Target } from './target.js';
import { markdownTable } from './markdown-table.js';

export interface Workload {
  name: string;
  connections: number;
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  auth?: boolean;
}

export interface Row {
  name: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  failures: number;
  rssMb: number;
}

const ping = { client: 'local', tgt: '*', fun: 'test.ping' };

export function workloads(credentials: Credentials): Workload[] {
  return [
    { name: 'GET / (welcome)', connections: 8, method: 'GET', path: '/' },
    { name: 'GET / (welcome)', connections: 32, method: 'GET', path: '/' },
    { name: 'POST /login (eauth via the master)', connections: 4, method: 'POST', path: '/login', body: credentials },
    // Before the job floods below, while the master's job cache holds a normal number of jobs.
    {
      name: 'POST / runner jobs.list_jobs',
      connections: 4,
      method: 'POST',
      path: '/',
      body: [{ client: 'runner', fun: 'jobs.list_jobs' }],
      auth: true,
    },
    ...[1, 8, 32].map((c): Workload => ({
      name: 'POST / local test.ping, sync',
      connections: c,
      method: 'POST',
      path: '/',
      body: [ping],
      auth: true,
    })),
    ...[1, 8, 32].map((c): Workload => ({
      name: 'POST / local_async test.ping',
      connections: c,
      method: 'POST',
      path: '/',
      body: [{ ...ping, client: 'local_async' }],
      auth: true,
    })),
    ...[8, 32].map((c): Workload => ({
      name: 'POST /minions (local_async)',
      connections: c,
      method: 'POST',
      path: '/minions',
      body: { tgt: '*', fun: 'test.ping' },
      auth: true,
    })),
    ...[8, 32].map((c): Workload => ({
      name: 'POST /hook/... (session, small JSON)',
      connections: c,
      method: 'POST',
      path: '/hook/bench/load',
      body: { bench: true, n: 1 },
      auth: true,
    })),
    {
      name: 'POST /run (inline eauth) test.ping',
      connections: 8,
      method: 'POST',
      path: '/run',
      body: [{ ...ping, ...credentials }],
    },
  ];
}

export async function measure(
  target: Target,
  workload: Workload,
  token: string,
  durationSeconds: number,
): Promise<Row> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (workload.body !== undefined) headers['Content-Type'] = 'application/json';
  if (workload.auth) headers['X-Auth-Token'] = token;
  const result = await autocannon({
    url: `${target.base}${workload.path}`,
    connections: workload.connections,
    duration: durationSeconds,
    method: workload.method,
    // Sync jobs wait on the master: count how long they take rather than cut them at 10 s.
    timeout: 120,
    headers,
    ...(workload.body !== undefined && { body: JSON.stringify(workload.body) }),
  });
  return {
    name: workload.name,
    connections: workload.connections,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.errors + result.timeouts + result.non2xx,
    rssMb: await target.rss(),
  };
}

/**
 * A target of its own for one variant (`start`): logs in, measures the workloads `pick` keeps one
 * after the other, printing each as `<label>: <workload> @<connections>… N req/s, p99 M ms`,
 * and closes the target.
 */
export async function measureVariant(
  start: () => Promise<Target>,
  pick: (workload: Workload) => boolean,
  label: string,
  durationSeconds: number,
): Promise<Row[]> {
  const target = await start();
  try {
    const token = await target.login();
    const rows: Row[] = [];
    for (const workload of workloads(target.credentials).filter(pick)) {
      process.stderr.write(`${label}: ${workload.name} @${workload.connections}… `);
      const row = await measure(target, workload, token, durationSeconds);
      process.stderr.write(`${row.rps.toFixed(1)} req/s, p99 ${row.p99} ms\n`);
      rows.push(row);
    }
    return rows;
  } finally {
    await target.close();
  }
}

export function workloadTable(rows: Row[]): string {
  return markdownTable(['workload', 'conc', 'req/s', 'p50 ms', 'p99 ms', 'failed', 'RSS MB after'], rows, (r) => [
    r.name,
    r.connections,
    r.rps.toFixed(0),
    r.p50,
    r.p99,
    r.failures,
    r.rssMb.toFixed(0),
  ]);
}
