#!/usr/bin/env node
import { spawn, type ChildProcess } from 'node:child_process';
import { get, type IncomingMessage } from 'node:http';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { abuseTable, runAbuse, type AbuseRow } from './abuse.js';

/**
 * `npm run bench`: salt-apid under load against the demo master, each in its own process as in
 * a real deployment (master, salt-apid, load generator). Prints a Markdown table for
 * BENCHMARKS.md and writes .bench/results.json. BENCH_DURATION (seconds per workload, default
 * 10) and BENCH_ONLY (a substring of workload names) narrow a run.
 */

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..');
const DURATION = Number(process.env['BENCH_DURATION'] ?? 10);
const ONLY = process.env['BENCH_ONLY'];
const API_PORT = Number(process.env['BENCH_PORT'] ?? 18080);
const BASE = `http://127.0.0.1:${API_PORT}`;

interface Workload {
  name: string;
  connections: number;
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  auth?: boolean;
}

interface Row {
  name: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  failures: number;
  rssMb: number;
}

const ping = { client: 'local', tgt: '*', fun: 'test.ping' };
const workloads: Workload[] = [
  { name: 'GET / (welcome)', connections: 8, method: 'GET', path: '/' },
  { name: 'GET / (welcome)', connections: 32, method: 'GET', path: '/' },
  { name: 'POST /login (eauth via the master)', connections: 4, method: 'POST', path: '/login', body: { username: 'saltdev', password: 'saltdev', eauth: 'pam' } },
  // Before the job floods below, while the master's job cache holds a normal number of jobs.
  { name: 'POST / runner jobs.list_jobs', connections: 4, method: 'POST', path: '/', body: [{ client: 'runner', fun: 'jobs.list_jobs' }], auth: true },
  ...[1, 8, 32].map((c): Workload => ({ name: 'POST / local test.ping, sync, 5 minions', connections: c, method: 'POST', path: '/', body: [ping], auth: true })),
  ...[1, 8, 32].map((c): Workload => ({ name: 'POST / local_async test.ping', connections: c, method: 'POST', path: '/', body: [{ ...ping, client: 'local_async' }], auth: true })),
  ...[8, 32].map((c): Workload => ({ name: 'POST /minions (local_async)', connections: c, method: 'POST', path: '/minions', body: { tgt: '*', fun: 'test.ping' }, auth: true })),
  ...[8, 32].map((c): Workload => ({ name: 'POST /hook/... (session, small JSON)', connections: c, method: 'POST', path: '/hook/bench/load', body: { bench: true, n: 1 }, auth: true })),
  { name: 'POST /run (inline eauth) test.ping', connections: 8, method: 'POST', path: '/run', body: [{ ...ping, username: 'saltdev', password: 'saltdev', eauth: 'pam' }] },
];

function rssOf(pid: number | undefined): Promise<number> {
  if (pid === undefined) return Promise.resolve(0);
  return readFile(`/proc/${pid}/status`, 'utf8').then(
    (status) => Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024,
    () => 0,
  );
}

async function firstLine(child: ChildProcess): Promise<string> {
  if (!child.stdout) throw new Error('child has no stdout');
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) return line;
  throw new Error('child exited before printing');
}

async function waitForApi(timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      if ((await fetch(`${BASE}/`)).status === 200) return Date.now() - started;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > timeoutMs) throw new Error(`salt-apid did not answer on ${BASE} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function login(username = 'saltdev', password = 'saltdev', eauth = 'pam'): Promise<string> {
  const res = await fetch(`${BASE}/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ username, password, eauth }),
  });
  const token = res.headers.get('x-auth-token');
  if (res.status !== 200 || !token) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  return token;
}

async function measure(workload: Workload, token: string, apiPid: number | undefined): Promise<Row> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (workload.body !== undefined) headers['Content-Type'] = 'application/json';
  if (workload.auth) headers['X-Auth-Token'] = token;
  const result = await autocannon({
    url: `${BASE}${workload.path}`,
    connections: workload.connections,
    duration: DURATION,
    method: workload.method,
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
    rssMb: await rssOf(apiPid),
  };
}

interface FanoutRow {
  clients: number;
  events: number;
  delivered: number;
  p50: number;
  p99: number;
  rssMb: number;
}

const FANOUT_TAG = 'salt/netapi/hook/bench/fanout';

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Opens `clients` /events streams, posts hooks stamped with their send time, measures receipt. */
async function sseFanout(clients: number, token: string, apiPid: number | undefined): Promise<FanoutRow> {
  const latencies: number[] = [];
  const responses: IncomingMessage[] = [];
  const marker = `"tag": "${FANOUT_TAG}"`;
  await Promise.all(
    Array.from({ length: clients }, () =>
      new Promise<void>((resolve, reject) => {
        const req = get({ host: '127.0.0.1', port: API_PORT, path: '/events', headers: { 'X-Auth-Token': token }, agent: false }, (res) => {
          if (res.statusCode !== 200) return reject(new Error(`/events answered ${res.statusCode}`));
          responses.push(res);
          let partial = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            const lines = (partial + chunk).split('\n');
            partial = lines.pop() ?? '';
            for (const line of lines) {
              if (!line.startsWith('data: ') || !line.includes(marker)) continue;
              const sent = /"sent": ([0-9.]+)/.exec(line);
              if (sent) latencies.push(performance.timeOrigin + performance.now() - Number(sent[1]));
            }
          });
          resolve();
        });
        req.on('error', reject);
      }),
    ),
  );
  const events = 30;
  const token2 = { 'Content-Type': 'application/json', 'X-Auth-Token': token };
  for (let i = 0; i < events; i++) {
    const body = JSON.stringify({ sent: performance.timeOrigin + performance.now(), i });
    await fetch(`${BASE}/hook/bench/fanout`, { method: 'POST', headers: token2, body });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const deadline = Date.now() + 10_000;
  while (latencies.length < clients * events && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  const rssMb = await rssOf(apiPid);
  for (const res of responses) res.destroy();
  latencies.sort((a, b) => a - b);
  return { clients, events, delivered: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99), rssMb };
}

function fanoutTable(rows: FanoutRow[]): string {
  const lines = ['| SSE clients | events | delivered | p50 ms | p99 ms | RSS MB |', '|---|---|---|---|---|---|'];
  for (const r of rows) {
    lines.push(`| ${r.clients} | ${r.events} | ${r.delivered} of ${r.clients * r.events} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.rssMb.toFixed(0)} |`);
  }
  return lines.join('\n');
}

function table(rows: Row[]): string {
  const lines = ['| workload | conc | req/s | p50 ms | p99 ms | failed | RSS MB after |', '|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    lines.push(`| ${r.name} | ${r.connections} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.failures} | ${r.rssMb.toFixed(0)} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'salt-apid-bench-'));
  const children: ChildProcess[] = [];
  try {
    const master = spawn(
      process.execPath,
      [join(DIST, 'demo', 'standalone.js'), '--sock-dir', join(work, 'sock'), '--write-config', join(work, 'master'), '--api-port', String(API_PORT)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(master);
    const { retPort } = JSON.parse(await firstLine(master)) as { retPort: number };
    const spawnedAt = Date.now();
    const api = spawn(process.execPath, [join(DIST, 'cli.js'), '--config', join(work, 'master'), '--log-level', 'warn'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(api);
    await waitForApi(10_000);
    const startupMs = Date.now() - spawnedAt;
    const idleRss = await rssOf(api.pid);
    process.stderr.write(`demo master on ${retPort}, salt-apid answering after ${startupMs} ms, RSS ${idleRss.toFixed(0)} MB\n`);

    let token = '';
    const rows: Row[] = [];
    for (const workload of workloads.filter((w) => !ONLY || w.name.includes(ONLY))) {
      if (workload.auth && token === '') token = await login();
      process.stderr.write(`${workload.name} @${workload.connections}… `);
      const row = await measure(workload, token, api.pid);
      process.stderr.write(`${row.rps.toFixed(0)} req/s\n`);
      rows.push(row);
    }
    const fanout: FanoutRow[] = [];
    if (!ONLY || 'SSE fan-out'.includes(ONLY)) {
      if (token === '') token = await login();
      for (const clients of [1, 100, 1_000]) {
        process.stderr.write(`SSE fan-out to ${clients} clients… `);
        const row = await sseFanout(clients, token, api.pid);
        process.stderr.write(`p50 ${row.p50.toFixed(1)} ms, p99 ${row.p99.toFixed(1)} ms\n`);
        fanout.push(row);
      }
    }
    let abuse: AbuseRow[] = [];
    if (!ONLY || 'abuse'.includes(ONLY)) {
      abuse = await runAbuse({ base: BASE, port: API_PORT, rss: () => rssOf(api.pid), login });
    }
    const summary = { date: new Date().toISOString(), durationSeconds: DURATION, startupMs, idleRssMb: idleRss, rows, fanout, abuse };
    await mkdir('.bench', { recursive: true });
    await writeFile(join('.bench', 'results.json'), `${JSON.stringify(summary, null, 2)}\n`);
    process.stdout.write(`${table(rows)}\n\n${fanoutTable(fanout)}\n\n${abuseTable(abuse)}\n\nStart to first 200 on GET /: ${startupMs} ms; idle RSS ${idleRss.toFixed(0)} MB.\n`);
    if (rows.some((r) => r.failures > 0) || fanout.some((r) => r.delivered < r.clients * r.events)) process.exitCode = 1;
  } finally {
    for (const child of children.reverse()) child.kill('SIGTERM');
    await rm(work, { recursive: true, force: true });
  }
}

await main();
