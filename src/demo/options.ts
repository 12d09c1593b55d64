import type { Logger } from 'pino';
import type { EventFraming } from '../salt/event-frame.js';
import type { ExternalAuth } from '../salt/auth/acl.js';
import type { DemoUser, TokenStore } from './auth.js';
import type { JobCache } from './jobs.js';
import type { KeyStore } from './keys.js';
import type { CapacityModel } from './capacity.js';

/** Options of the demo master; every one has a default that mirrors the recorded 3008 master. */
export interface DemoMasterOptions {
  /** Directory of the event bus sockets; a fresh temporary directory when omitted. */
  sockDir?: string;
  /** Address the request channel binds (default 127.0.0.1). */
  interface?: string;
  /** Request channel port; 0 (default) picks a free one, read it back from `retPort`. */
  retPort?: number;
  /** `ipc` (unix sockets in sockDir, default) or `tcp` (127.0.0.1 ports below). */
  ipcMode?: 'ipc' | 'tcp';
  /** tcp mode: publisher port (0 = free port, default). */
  pubPort?: number | undefined;
  /** tcp mode: puller port (0 = free port, default). */
  pullPort?: number | undefined;
  /** Framing of the publisher (default `bare`, as 3008.2+). */
  pubFraming?: EventFraming;
  /** Framing the puller reads (default `len32`, as 3008.2+); frames in the other one are swallowed. */
  pullFraming?: EventFraming;
  /** Salt's `external_auth`. */
  externalAuth?: ExternalAuth;
  /** The pam backend's users: name → password and groups. */
  users?: Record<string, DemoUser>;
  /** `token_expire` in seconds (default 43200). */
  tokenExpire?: number;
  /** `hash_type` (default sha256): token length and key fingerprints. */
  hashType?: string;
  /** Ids of the simulated minions that are up (default minion-1 … minion-5). */
  minions?: string[];
  /** Accepted keys whose minions never answer. */
  deadMinions?: string[];
  /** Keys waiting for acceptance; their minions run and answer once accepted. */
  pendingKeys?: string[];
  rejectedKeys?: string[];
  deniedKeys?: string[];
  /** Base delay before a minion returns, plus up to as much again as jitter (default 5). */
  returnDelayMs?: number;
  /** A master and minions that take time to work (capacity.ts); none (default): work is instant. */
  capacity?: CapacityModel;
  /** The minions' random numbers in [0, 1) (`test.rand_sleep`); Math.random by default. */
  random?: () => number;
  /**
   * Delay failed password checks like Salt (which holds a worker 3-5 s). `true` for 3000-5000 ms,
   * a `[min, max]` range in ms, or false (default) for none.
   */
  slowAuthFailures?: boolean | readonly [number, number];
  /**
   * How a wheel call treats the `__jid__`/`__tag__` a caller sends (wheel_async): `'honoured'` as
   * masters of the 3006 and 3007 lines (the job runs and fires under the caller's jid, between the
   * master's own `new`/`ret` pair), `'replaced'` (default) as 3008, which runs it under its own jid.
   */
  wheelCallerJid?: 'honoured' | 'replaced';
  /** A bus reader with more bytes queued than this is disconnected (default: Salt's `ipc_write_buffer`). */
  maxPendingBytes?: number;
  /**
   * The master's `cachedir`: each published job's load and minions are written there as Salt's
   * `local_cache` writes them (job-cache-files.ts), for the original salt-api's LocalClient.
   */
  cachedir?: string;
  /** Carried-over tokens, job cache and keys, so a restarted master knows them (see `DemoMaster.state`). */
  state?: DemoState;
  logger?: Logger;
}

export const DEFAULT_EXTERNAL_AUTH: ExternalAuth = {
  pam: { saltdev: ['.*', '@wheel', '@runner', '@jobs'] },
  auto: { autouser: ['.*', '@wheel', '@runner', '@jobs'], nobody: [] },
};

export const DEFAULT_USERS: Record<string, DemoUser> = { saltdev: { password: 'saltdev', groups: ['saltdev'] } };

export const DEFAULT_MINIONS = ['minion-1', 'minion-2', 'minion-3', 'minion-4', 'minion-5'];

/** `minion-1` to `minion-<count>`: a fleet of any size (`--minions`). */
export function minionIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `minion-${i + 1}`);
}

const FAILED_AUTH_DELAY_MS: readonly [number, number] = [3000, 5000];

export function failedAuthDelay(option: DemoMasterOptions['slowAuthFailures']): readonly [number, number] | undefined {
  if (option === true) return FAILED_AUTH_DELAY_MS;
  return option === false || option === undefined ? undefined : option;
}

/** What a master keeps on disk across restarts: tokens, the job cache and the key directories. */
export interface DemoState {
  tokens: TokenStore;
  jobs: JobCache;
  keys: KeyStore;
}
