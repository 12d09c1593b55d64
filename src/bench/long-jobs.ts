/**
 * Long jobs and the job limit (docs/decisions/0027): does admission hold back jobs that cost the
 * master nothing? Against any target (the demo master with its capacity model, or a real one):
 * 1. sync `test.ping` on `*` in closed loops at c=8, then at c=32 (the master's limit);
 * 2. 32 concurrent sync `test.sleep S` on a rested server (after a rest of `restS`), the call
 *    measured once before;
 * 3. the c=32 ping burst again, and the same 32 sleeps right after it;
 * 4. 32 concurrent sync `test.rand_sleep M` (each run sleeps 0..M s: its time varies more than 10×
 *    between runs), right after another burst.
 * The sleeps' wall time after a burst should be that of the rested ones, within 1.2×.
 */
import type { Target } from './target.js';
import { markdownTable } from './markdown-table.js';

export interface LongJobsRow {
  run: string;
  calls: number;
  /** Requests per second (the ping loops), or the wall time of the wave in seconds. */
  rps?: number;
  wallS?: number;
  failed: number;
}

export interface LongJobsOptions {
  /** `test.sleep` length (s). */
  sleepS: number;
  /** Each burst's length (s). */
  burstS: number;
  /** `test.rand_sleep` max (s). */
  randMaxS: number;
  /** Rest before the "rested" sleeps (s): longer than any limit takes to lift (30 s). */
  restS: number;
}

async function call(target: Target, token: string, chunk: Record<string, unknown>): Promise<boolean> {
  try {
    const res = await fetch(`${target.base}/`, {
      method: 'POST',
      headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ client: 'local', tgt: '*', ...chunk }),
      signal: AbortSignal.timeout(300_000),
    });
    const body = (await res.json()) as { return?: Array<Record<string, unknown>> };
    const returns = body.return?.[0] ?? {};
    return res.status === 200 && Object.values(returns).length > 0 && Object.values(returns).every((r) => r === true);
  } catch {
    return false;
  }
}

/**
 * `connections` closed loops of sync pings for `seconds`: the answers that came within them, over
 * their length (calls still out at the end finish, uncounted: at c=32 they take seconds, and
 * counting them over a longer time would charge c=32 with its own tail).
 */
async function pingLoops(target: Target, token: string, connections: number, seconds: number): Promise<LongJobsRow> {
  const until = Date.now() + seconds * 1000;
  let done = 0;
  let failed = 0;
  let calls = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < until) {
        calls++;
        const ok = await call(target, token, { fun: 'test.ping' });
        if (!ok) failed++;
        else if (Date.now() <= until) done++;
      }
    }),
  );
  return { run: `sync test.ping, c=${connections}, ${seconds} s`, calls, rps: done / seconds, failed };
}

/** `count` calls of `chunk` at once: the wave's wall time. */
async function wave(target: Target, token: string, run: string, count: number, chunk: Record<string, unknown>) {
  const started = Date.now();
  const results = await Promise.all(Array.from({ length: count }, () => call(target, token, chunk)));
  return { run, calls: count, wallS: (Date.now() - started) / 1000, failed: results.filter((ok) => !ok).length };
}

export async function measureLongJobs(target: Target, token: string, options: LongJobsOptions): Promise<LongJobsRow[]> {
  const sleep = { fun: 'test.sleep', arg: [options.sleepS] };
  const randSleep = { fun: 'test.rand_sleep', arg: [`max=${options.randMaxS}`] };
  const log = (row: LongJobsRow): LongJobsRow => {
    const figure = row.rps === undefined ? `${row.wallS?.toFixed(1)} s` : `${row.rps.toFixed(1)} req/s`;
    process.stderr.write(`${row.run}: ${figure}, ${row.failed} failed\n`);
    return row;
  };
  const rows: LongJobsRow[] = [];
  rows.push(log(await pingLoops(target, token, 8, options.burstS)));
  rows.push(log(await pingLoops(target, token, 32, options.burstS)));
  await call(target, token, sleep); // the call measured once, as an operator's earlier run would
  await new Promise((resolve) => setTimeout(resolve, options.restS * 1000));
  rows.push(log(await wave(target, token, `32 × test.sleep ${options.sleepS}, rested`, 32, sleep)));
  rows.push(log(await pingLoops(target, token, 32, options.burstS)));
  rows.push(log(await wave(target, token, `32 × test.sleep ${options.sleepS}, right after the burst`, 32, sleep)));
  await call(target, token, randSleep);
  rows.push(log(await pingLoops(target, token, 32, options.burstS)));
  rows.push(
    log(await wave(target, token, `32 × test.rand_sleep ${options.randMaxS}, right after the burst`, 32, randSleep)),
  );
  return rows;
}

export function longJobsTable(rows: LongJobsRow[]): string {
  const rested = rows.find((r) => r.run.includes('rested'))?.wallS;
  return markdownTable(['run', 'calls', 'req/s or wall time', 'vs rested', 'failed'], rows, (r) => [
    r.run,
    r.calls,
    r.rps === undefined ? `${r.wallS?.toFixed(1)} s` : `${r.rps.toFixed(1)} req/s`,
    r.wallS !== undefined && rested !== undefined && r.run.includes('test.sleep')
      ? `${(r.wallS / rested).toFixed(2)}×`
      : '',
    r.failed,
  ]);
}
