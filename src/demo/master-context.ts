import type { Logger } from 'pino';
import type { SaltMap } from '../salt/codec/values.js';
import { Authenticator, TokenStore } from './auth.js';
import type { FireEvent } from './client-low.js';
import { JidGenerator } from './clock.js';
import { JobCache } from './jobs.js';
import { JobCacheFiles } from './job-cache-files.js';
import { KeyStore } from './keys.js';
import { MinionFleet } from './minions.js';
import {
  DEFAULT_EXTERNAL_AUTH,
  DEFAULT_MINIONS,
  DEFAULT_USERS,
  failedAuthDelay,
  type DemoMasterOptions,
  type DemoState,
} from './options.js';
import type { TargetUniverse } from '../salt/auth/targeting.js';
import { SimulatedCpu, type CapacityModel } from './capacity.js';
import { Turns } from './turns.js';

/** What the master's command handlers share: its stores, its bus and its lifetime. */
export interface MasterContext {
  fire: FireEvent;
  auth: Authenticator;
  jids: JidGenerator;
  jobs: JobCache;
  /** The job cache on disk, when the demo has a `cachedir`. */
  jobFiles: JobCacheFiles | undefined;
  keys: KeyStore;
  fleet: MinionFleet;
  /** Accepted keys and their cached grains, for target resolution. */
  universe: TargetUniverse;
  /** Base delay before a minion answers; each answer adds up to as much again as jitter. */
  returnDelayMs: number;
  /** Turns on the demo's event loop for the minions' work, so that fired events go out between returns. */
  turns: Turns;
  /** The master's simulated processor and its costs, when the demo has a capacity model. */
  cpu: { model: CapacityModel; master: SimulatedCpu } | undefined;
  hashType: string;
  /** Aborted when the master stops: pending minion returns and runner jobs are dropped. */
  signal: AbortSignal;
  /** See {@link DemoMasterOptions.wheelCallerJid}. */
  wheelCallerJid: 'honoured' | 'replaced';
  /** A summary of the master's configuration (wheel `config.values`). */
  config: SaltMap;
  logger: Logger | undefined;
}

const DEFAULT_RETURN_DELAY_MS = 5;

export function newDemoState(options: DemoMasterOptions): DemoState {
  return {
    tokens: new TokenStore(),
    jobs: new JobCache(),
    keys: new KeyStore({
      minions: [...(options.minions ?? DEFAULT_MINIONS), ...(options.deadMinions ?? [])],
      minions_pre: options.pendingKeys ?? [],
      minions_rejected: options.rejectedKeys ?? [],
      minions_denied: options.deniedKeys ?? [],
    }),
  };
}

/** Builds the master's shared state from its options; `fire` is how it reaches the bus. */
export function createMasterContext(
  options: DemoMasterOptions,
  state: DemoState,
  fire: FireEvent,
  signal: AbortSignal,
): MasterContext {
  const externalAuth = options.externalAuth ?? DEFAULT_EXTERNAL_AUTH;
  const tokenExpire = options.tokenExpire ?? 43200;
  const hashType = options.hashType ?? 'sha256';
  const capacity = options.capacity;
  const masterCpu = capacity && new SimulatedCpu(capacity.masterCores, signal);
  const fleet = new MinionFleet({
    live: options.minions ?? DEFAULT_MINIONS,
    dead: options.deadMinions ?? [],
    pending: options.pendingKeys ?? [],
    random: options.random ?? Math.random,
    ...(capacity && masterCpu && { capacity: { model: capacity, machine: masterCpu, signal } }),
  });
  return {
    fire,
    auth: new Authenticator({
      externalAuth,
      users: options.users ?? DEFAULT_USERS,
      tokenExpire,
      hashType,
      failedAuthDelayMs: failedAuthDelay(options.slowAuthFailures),
      tokens: state.tokens,
      signal,
    }),
    jids: new JidGenerator(),
    jobs: state.jobs,
    jobFiles: options.cachedir === undefined ? undefined : new JobCacheFiles(options.cachedir, hashType),
    keys: state.keys,
    fleet,
    universe: {
      get acceptedIds() {
        return state.keys.idsWith('minions');
      },
      grainsOf: (id) => fleet.grainsOf(id),
    },
    returnDelayMs: options.returnDelayMs ?? DEFAULT_RETURN_DELAY_MS,
    turns: new Turns(),
    cpu: capacity && masterCpu && { model: capacity, master: masterCpu },
    hashType,
    signal,
    wheelCallerJid: options.wheelCallerJid ?? 'replaced',
    config: {
      interface: options.interface ?? '127.0.0.1',
      ret_port: options.retPort ?? 0,
      sock_dir: options.sockDir ?? '',
      ...(options.cachedir !== undefined && { cachedir: options.cachedir }),
      ipc_mode: options.ipcMode ?? 'ipc',
      token_expire: tokenExpire,
      hash_type: hashType,
      external_auth: externalAuth as SaltMap,
    },
    logger: options.logger,
  };
}
