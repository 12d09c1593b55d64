import type { Logger } from 'pino';
import type { MasterSettings } from '../../config/types.js';
import type { SaltMap, SaltValue } from '../codec/values.js';
import type { SaltMaster } from '../master.js';
import type { RunnerNames } from './runner/runner-names.js';
import type { LoadAuth } from '../auth/load-auth.js';
import type { LivenessChecks } from './local/liveness.js';
import type { JobAdmission } from './admission/admission.js';
import type { CallLatencies } from './admission/call-latency.js';

/** What every lowstate client works with: the shared master connection and the settings. */
export interface ClientContext {
  master: SaltMaster;
  settings: MasterSettings;
  logger: Logger | undefined;
  tuning: ClientTuning;
  /** The master's runner function names, asked of the master once and shared by every call. */
  runnerNames: RunnerNames;
  /** Who a chunk's credentials belong to and what they may run (the ssh client checks this itself). */
  loadAuth: LoadAuth;
  /** The liveness checks every waiting job shares (liveness.ts). */
  liveness: LivenessChecks;
  /** How many sync jobs may be out at the master at once (admission.ts). */
  admission: JobAdmission;
  /** How long each call took at best lately: when a job of it is late (call-latency.ts). */
  callLatencies: CallLatencies;
}

/** Knobs that have a sensible default and that tests shrink. */
export interface ClientTuning {
  /**
   * A runner function salt-apid does not know must start (its `salt/run/<jid>/new` event) within
   * this time, else the call ends with 400: the master accepts unknown functions and then stays
   * silent (docs/wire-protocol.md "Commands salt-apid sends", runner), so without this a typo would
   * wait for the whole `timeout`.
   */
  unknownRunnerStartMs: number;
  /** How long a call waits for the event bus to (re)connect before answering 503. */
  busConnectMs: number;
  /**
   * How long after salt-ssh ends the ssh client waits for the per-host events it fired (they pass
   * through the master) before it falls back on what salt-ssh printed.
   */
  sshEventGraceMs: number;
  /** The least time between two shared liveness checks under the same credentials (liveness.ts). */
  livenessIntervalMs: number;
}

export const DEFAULT_TUNING: ClientTuning = {
  unknownRunnerStartMs: 10_000,
  busConnectMs: 5_000,
  sshEventGraceMs: 2_000,
  livenessIntervalMs: 1_000,
};

/** Told the jid of each job a call starts, as soon as the master gave it (RunOptions.onJid). */
export type JidSink = (jid: string) => void;

/**
 * One lowstate client: a chunk in, the elements it adds to the `return` list out. `onJid` hears of
 * every job the call starts (the audit log's `jids`).
 */
export type LowstateClient = (
  chunk: SaltMap,
  ctx: ClientContext,
  signal: AbortSignal | undefined,
  onJid?: JidSink,
) => Promise<SaltValue[]>;
