/**
 * Synchronous jobs against a demo master that can be overloaded (`--capacity`, src/demo/capacity.ts):
 * c=1/8/32 the way salt-api does them (one find_job per waiting job, every job published at once:
 * `coalesce_job_checks: false`, `adaptive_job_limit: false`) and with salt-apid's defaults (shared
 * liveness checks, the adaptive job limit). The first collapses at c=32 as a real master does.
 */
import { startLocalTarget } from './target.js';
import { measureVariant, type Row } from './workloads.js';
import { markdownTable } from './markdown-table.js';

export interface CapacityRow extends Row {
  mode: string;
}

const SYNC_PING = 'POST / local test.ping, sync';

const MODES: Array<{ mode: string; options: Record<string, string> }> = [
  {
    mode: "salt-api's way (a find_job per job, no job limit)",
    options: { coalesce_job_checks: 'false', adaptive_job_limit: 'false' },
  },
  { mode: 'shared checks, adaptive job limit (default)', options: {} },
];

export async function measureCapacity(port: number, durationSeconds: number, model: string): Promise<CapacityRow[]> {
  const rows: CapacityRow[] = [];
  for (const mode of MODES) {
    // A fresh master for each mode: the backlog of one run must not slow the next.
    const measured = await measureVariant(
      () => startLocalTarget(port, mode.options, {}, ['--capacity', model]),
      (workload) => workload.name === SYNC_PING,
      `capacity model, ${mode.mode}`,
      durationSeconds,
    );
    rows.push(...measured.map((row) => ({ ...row, mode: mode.mode })));
  }
  return rows;
}

export function capacityTable(rows: CapacityRow[]): string {
  return markdownTable(['liveness checks', 'conc', 'req/s', 'p50 ms', 'p99 ms', 'failed'], rows, (r) => [
    r.mode,
    r.connections,
    r.rps.toFixed(1),
    r.p50,
    r.p99,
    r.failures,
  ]);
}
