import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { WORKER_SLOT_ENV } from './http/stats/worker-slot.js';

/**
 * `workers: N`: N processes serving one port (Node's cluster: the primary holds the listening
 * socket and hands connections to the workers in turn). Each worker is a whole salt-apid with its
 * own master connection; with `session_store: cache` any of them serves any session. The primary
 * only supervises: a worker that dies is replaced after a second (in the same slot, 0..N-1, which
 * names its per-worker metric series), and a stop or a log reopen is passed on to every worker.
 */

const RESTART_DELAY_MS = 1_000;

export interface WorkerPool {
  /** Stops every worker with `signal` (they finish their requests first); resolves when all are gone. */
  stop(signal: NodeJS.Signals): Promise<void>;
  /** SIGHUP to every worker: they reopen their log files. */
  reopenLogs(): void;
}

export function startWorkerPool(count: number, logger: Logger): WorkerPool {
  let stopping = false;
  const fork = (slot: number): Worker => {
    const worker = cluster.fork({ [WORKER_SLOT_ENV]: String(slot) });
    worker.once('exit', (code, signal) => {
      if (stopping) return;
      logger.error({ pid: worker.process.pid, slot, code, signal }, 'a salt-apid worker died: starting another');
      setTimeout(() => {
        if (!stopping) fork(slot);
      }, RESTART_DELAY_MS).unref();
    });
    return worker;
  };
  for (let slot = 0; slot < count; slot++) fork(slot);
  logger.info({ workers: count }, 'salt-apid workers started');
  const alive = (): Worker[] => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  return {
    async stop(signal) {
      stopping = true;
      const workers = alive();
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve) => {
              if (worker.isDead()) return resolve();
              worker.once('exit', () => resolve());
              worker.process.kill(signal);
            }),
        ),
      );
    },
    reopenLogs() {
      for (const worker of alive()) worker.process.kill('SIGHUP');
    },
  };
}
