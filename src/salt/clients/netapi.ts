import type { SaltMap, SaltValue } from '../codec/values.js';

/**
 * The netapi contract, on its own so the HTTP layer can depend on it without loading any client;
 * `createNetapi` in `netapi-dispatcher.ts` is its one implementation.
 *
 * The contract between the HTTP layer and the lowstate clients (the NetapiClient of salt-api): one
 * chunk in, the list of values it contributes to `return` out (`local_batch` may contribute
 * several, or none). Gatekeeping (client name, `netapi_enable_clients`, credentials, raw_shell)
 * happens inside `run`, in salt-api's order (docs/routes.md "Lowstate clients"), and failures are
 * SaltErrors: InvalidRequestError (400), NotAuthenticatedError / MasterErrorReply with kind 'auth'
 * (401), MasterUnavailableError (503), JobTimeoutError (504), NotImplementedHereError (501).
 */
export interface LowstateRunner {
  /** True while the master is reachable (salt-api's "Salt Master is not available." check). */
  readonly masterAvailable: boolean;
  run(chunk: SaltMap, options?: RunOptions): Promise<SaltValue[]>;
  /** How the waiting sync jobs asked whether their minions still run them (liveness.ts). */
  livenessChecks?(): LivenessCheckCounts;
  /** How many sync jobs are out at the master, may be, and wait (admission.ts). */
  jobAdmission?(): JobAdmissionStats;
}

export interface JobAdmissionStats {
  limit: number;
  /** Jobs the master is working on: what the limit counts (admission.ts). */
  active: number;
  /** Jobs out whose minions were seen running them: they hold no place. */
  withMinions: number;
  queued: number;
}

export interface LivenessCheckCounts {
  /** Shared `saltutil.running` checks published. */
  running: number;
  /** Per-job `saltutil.find_job` checks published. */
  findJob: number;
  /** Times a job's check waited for a later round because its minions were still returning. */
  deferred: number;
}

export interface RunOptions {
  /** Aborted when the HTTP client goes away; long waits (sync local, runner) stop early. */
  signal?: AbortSignal;
  /** Told the jid of every job the chunk starts, once the master gave it (the audit log's `jids`). */
  onJid?: (jid: string) => void;
}

/** Every client name salt-api knows, in `GET /`'s order (docs/routes.md "GET /"). */
export const NETAPI_CLIENTS = [
  'destroy',
  'local',
  'local_async',
  'local_batch',
  'local_subset',
  'runner',
  'runner_async',
  'ssh',
  'wheel',
  'wheel_async',
] as const;

export type NetapiClientName = (typeof NETAPI_CLIENTS)[number];
