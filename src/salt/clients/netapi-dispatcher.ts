import { LoadAuth } from '../auth/load-auth.js';
import { loadPam, type PamLoad } from '../auth/pam.js';
import type { Logger } from 'pino';
import type { MasterSettings } from '../../config/types.js';
import type { SaltMap, SaltValue } from '../codec/values.js';
import { InvalidRequestError, MasterUnavailableError, NotAuthenticatedError } from '../errors.js';
import type { SaltMaster } from '../master.js';
import { pythonStr } from '../../python/repr.js';
import { pythonTruthy } from '../../python/truthiness.js';
import { DEFAULT_TUNING, type ClientContext, type ClientTuning, type LowstateClient } from './context.js';
import { throwIfAborted } from './abort.js';
import { runLocalBatch } from './local/batch.js';
import { runLocal, runLocalAsync, runLocalSubset } from './local/local.js';
import { NETAPI_CLIENTS, type LowstateRunner, type NetapiClientName, type RunOptions } from './netapi.js';
import { runRunner, runRunnerAsync } from './runner/runner.js';
import { RunnerNames } from './runner/runner-names.js';
import { LivenessChecks } from './local/liveness.js';
import { ReturnEcho } from './local/return-echo.js';
import { DEFAULT_ADMISSION, JobAdmission, type AdmissionOptions } from './admission/admission.js';
import { CallLatencies, DEFAULT_CALL_LATENCY, type CallLatencyOptions } from './admission/call-latency.js';
import { runSsh } from './ssh/ssh.js';
import { runWheel, runWheelAsync } from './wheel.js';

/**
 * The implementation of `LowstateRunner` (the contract in `netapi.ts`): salt-api's NetapiClient,
 * gatekeeping in its order with its messages (docs/routes.md "Lowstate clients"), then the named client.
 */

export interface NetapiDeps {
  master: SaltMaster;
  settings: MasterSettings;
  logger?: Logger;
  tuning?: Partial<ClientTuning>;
  /** In-process PAM for the ssh client; by default authenticate-pam, where it loads. */
  pam?: PamLoad;
  /** Whether waiting jobs share their liveness checks (liveness.ts); default true. */
  coalesceJobChecks?: boolean;
  /** Whether sync jobs wait in salt-apid while the master is behind (admission.ts); default true. */
  adaptiveJobLimit?: boolean;
  /** The most sync jobs out at the master at once (default 1024). */
  maxSyncJobs?: number;
  /** When a call counts as fast (call-latency.ts); tests shorten it, with the window below. */
  callLatency?: Partial<CallLatencyOptions>;
  /** The admission's timings (admission.ts); tests shorten them. */
  admission?: Partial<Pick<AdmissionOptions, 'lateCheckMs' | 'fastWindowMs' | 'growEveryMs' | 'recoveryMs'>>;
}

const CLIENTS: Record<NetapiClientName, LowstateClient> = {
  // salt-api lists it because NetapiClient has a `destroy` method; calling it returns None.
  destroy: () => Promise.resolve([null]),
  local: runLocal,
  local_async: runLocalAsync,
  local_batch: runLocalBatch,
  local_subset: runLocalSubset,
  runner: runRunner,
  runner_async: runRunnerAsync,
  ssh: runSsh,
  wheel: runWheel,
  wheel_async: runWheelAsync,
};

function admissionOptions(deps: NetapiDeps): AdmissionOptions {
  const max = deps.maxSyncJobs ?? DEFAULT_ADMISSION.max;
  return {
    ...DEFAULT_ADMISSION,
    ...deps.admission,
    enabled: deps.adaptiveJobLimit ?? true,
    max,
    min: Math.min(DEFAULT_ADMISSION.min, max),
  };
}

function isClientName(value: SaltValue): value is NetapiClientName {
  return typeof value === 'string' && (NETAPI_CLIENTS as readonly string[]).includes(value);
}

export function createNetapi(deps: NetapiDeps): LowstateRunner {
  const tuning = { ...DEFAULT_TUNING, ...deps.tuning };
  const ctx: ClientContext = {
    master: deps.master,
    settings: deps.settings,
    logger: deps.logger,
    tuning,
    liveness: new LivenessChecks(deps.master.commands, deps.settings, {
      coalesce: deps.coalesceJobChecks ?? true,
      intervalMs: tuning.livenessIntervalMs,
    }),
    admission: new JobAdmission(admissionOptions(deps)),
    callLatencies: new CallLatencies({ ...DEFAULT_CALL_LATENCY, ...deps.callLatency }),
    loadAuth: new LoadAuth({
      master: deps.master.commands,
      settings: deps.settings,
      pam: () => deps.pam ?? loadPam(),
      logger: deps.logger,
    }),
    runnerNames: new RunnerNames(async (credentials) => {
      const [docs] = await runRunner({ ...credentials, client: 'runner', fun: 'doc.runner' }, ctx, undefined);
      return docs;
    }),
  };
  const enabled = new Set(deps.settings.netapiEnableClients);
  deps.master.bus.tap(new ReturnEcho((firstSeenAt) => ctx.admission.congested(firstSeenAt)).onEvent);

  return {
    get masterAvailable(): boolean {
      return deps.master.available;
    },

    livenessChecks: () => ({ ...ctx.liveness.counts }),
    jobAdmission: () => ctx.admission.stats(),

    async run(chunk: SaltMap, options: RunOptions = {}): Promise<SaltValue[]> {
      if (!deps.master.available) throw new MasterUnavailableError('no connection to its event bus');
      const client = chunk['client'];
      if (!isClientName(client))
        throw new InvalidRequestError(`Invalid client specified: '${pythonStr(client)}'`, { saltInvocation: true });
      if (!enabled.has(client)) {
        throw new InvalidRequestError(
          `Client disabled: '${client}'. Add to 'netapi_enable_clients' master config option to enable.`,
          { saltInvocation: true },
        );
      }
      if (!Object.hasOwn(chunk, 'token') && !Object.hasOwn(chunk, 'eauth')) {
        throw new NotAuthenticatedError('No authentication credentials given');
      }
      if (pythonTruthy(chunk['raw_shell']) && !deps.settings.netapiAllowRawShell) {
        throw new NotAuthenticatedError('Raw shell option not allowed.');
      }
      throwIfAborted(options.signal);
      return CLIENTS[client](chunk, ctx, options.signal, options.onJid);
    },
  };
}
