import cluster from 'node:cluster';

/**
 * A worker's slot among the N processes of `workers: N` (0..N-1): the primary hands it to each
 * worker it forks, and to the worker that replaces it, so that per-worker metric series keep
 * their names across restarts.
 */
export const WORKER_SLOT_ENV = 'SALTAPID_WORKER_SLOT';

/** This process's slot; undefined when it is not a worker of `workers: N`. */
export function workerSlot(): string | undefined {
  if (!cluster.isWorker) return undefined;
  return process.env[WORKER_SLOT_ENV] ?? String(cluster.worker?.id ?? 0);
}
