/**
 * The per-request floor (issue 24): `GET /` through salt-apid against a bare Fastify hello-world
 * answering the same body (bare-fastify.ts), measured in the same run with the same load, and a
 * sync `test.ping` job's own CPU time in salt-apid (one caller, the demo master's 5 minions).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { cpuMsOf, type Target } from './target.js';

export interface FloorRow {
  connections: number;
  bareRps: number;
  apiRps: number;
}

export interface FloorResult {
  rows: FloorRow[];
  /** salt-apid's CPU per sync `test.ping` job (ms), and the jobs it was averaged over. */
  pingCpuMs: number;
  pings: number;
}

const BARE = join(dirname(fileURLToPath(import.meta.url)), 'bare-fastify.js');

async function rps(url: string, connections: number, seconds: number): Promise<number> {
  const result = await autocannon({ url, connections, duration: seconds, headers: { Accept: 'application/json' } });
  if (result.errors + result.non2xx > 0) throw new Error(`${url}: ${result.errors} errors, ${result.non2xx} non-2xx`);
  return result.requests.average;
}

export async function measureFloor(target: Target, barePort: number, seconds: number): Promise<FloorResult> {
  const welcome = await fetch(`${target.base}/`, { headers: { Accept: 'application/json' } });
  const body = await welcome.text();
  const bare = spawn(process.execPath, [BARE, String(barePort), welcome.headers.get('content-type') ?? '', body], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await once(bare.stdout, 'data');
    const rows: FloorRow[] = [];
    for (const connections of [8, 32]) {
      process.stderr.write(`request floor: GET / @${connections}… `);
      // Each measured twice, interleaved, so that neither gets the machine's better half alone.
      const bareRps = [await rps(`http://127.0.0.1:${barePort}/`, connections, seconds)];
      const apiRps = [await rps(`${target.base}/`, connections, seconds)];
      bareRps.push(await rps(`http://127.0.0.1:${barePort}/`, connections, seconds));
      apiRps.push(await rps(`${target.base}/`, connections, seconds));
      const row = { connections, bareRps: Math.max(...bareRps), apiRps: Math.max(...apiRps) };
      process.stderr.write(`bare ${row.bareRps.toFixed(0)}, salt-apid ${row.apiRps.toFixed(0)} req/s\n`);
      rows.push(row);
    }
    const token = await target.login();
    const cpuBefore = await cpuMsOf(target.pid);
    const result = await autocannon({
      url: `${target.base}/`,
      connections: 1,
      duration: seconds,
      method: 'POST',
      headers: { Accept: 'application/json', 'Content-Type': 'application/json', 'X-Auth-Token': token },
      body: JSON.stringify([{ client: 'local', tgt: '*', fun: 'test.ping' }]),
    });
    const pingCpu = (await cpuMsOf(target.pid)) - cpuBefore;
    const pings = result.requests.total;
    process.stderr.write(`request floor: sync test.ping, ${pings} jobs, ${(pingCpu / pings).toFixed(2)} ms CPU each\n`);
    return { rows, pingCpuMs: pingCpu / pings, pings };
  } finally {
    bare.kill('SIGTERM');
  }
}

export function floorTable(result: FloorResult): string {
  const lines = ['| GET / | bare Fastify | salt-apid | salt-apid / bare |', '|---|---|---|---|'];
  for (const r of result.rows) {
    lines.push(
      `| c=${r.connections} | ${r.bareRps.toFixed(0)} req/s | ${r.apiRps.toFixed(0)} req/s | ${((r.apiRps / r.bareRps) * 100).toFixed(0)}% |`,
    );
  }
  lines.push(
    '',
    `Sync \`test.ping\` on \`*\`, one caller: ${result.pingCpuMs.toFixed(2)} ms of salt-apid CPU a job (${result.pings} jobs).`,
  );
  return lines.join('\n');
}
