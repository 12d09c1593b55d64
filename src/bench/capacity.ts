/**
 * Synchronous jobs against a demo master that can be overloaded (`--capacity`, src/demo/capacity.ts):
 * c=1/8/32 with LocalClient's one find_job per waiting job (`coalesce_job_checks: false`) and with
 * shared liveness checks (the default). The first collapses at c=32 as a real master does; the
 * second should not.
 */
import { startLocalTarget } from './target.js';
import { measure, workloads, type Row } from './workloads.js';

export interface CapacityRow extends Row {
  checks: 'per job' | 'shared';
}

const SYNC_PING = 'POST / local test.ping, sync';

const MODES: Array<{ checks: CapacityRow['checks']; coalesce: string }> = [
  { checks: 'per job', coalesce: 'false' },
  { checks: 'shared', coalesce: 'true' },
];

export async function measureCapacity(port: number, durationSeconds: number, model: string): Promise<CapacityRow[]> {
  const rows: CapacityRow[] = [];
  for (const mode of MODES) {
    // A fresh master for each mode: the backlog of one run must not slow the next.
    const target = await startLocalTarget(port, { coalesce_job_checks: mode.coalesce }, {}, ['--capacity', model]);
    try {
      const token = await target.login();
      for (const workload of workloads(target.credentials).filter((w) => w.name === SYNC_PING)) {
        process.stderr.write(`capacity model, ${mode.checks} checks: ${workload.name} @${workload.connections}… `);
        const row = await measure(target, workload, token, durationSeconds);
        process.stderr.write(`${row.rps.toFixed(1)} req/s, p99 ${row.p99} ms\n`);
        rows.push({ ...row, checks: mode.checks });
      }
    } finally {
      await target.close();
    }
  }
  return rows;
}

export function capacityTable(rows: CapacityRow[]): string {
  const lines = ['| liveness checks | conc | req/s | p50 ms | p99 ms | failed |', '|---|---|---|---|---|---|'];
  for (const r of rows) {
    lines.push(`| ${r.checks} | ${r.connections} | ${r.rps.toFixed(1)} | ${r.p50} | ${r.p99} | ${r.failures} |`);
  }
  return lines.join('\n');
}
