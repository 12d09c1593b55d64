import { afterEach } from 'vitest';
import type { DemoMaster, DemoMasterOptions } from '../../src/demo/demo-master.js';
import type { MasterSettings } from '../../src/config/types.js';
import type { SaltMap } from '../../src/salt/codec/values.js';
import type { ClientTuning } from '../../src/salt/clients/context.js';
import { createNetapi, type NetapiDeps } from '../../src/salt/clients/netapi-dispatcher.js';
import { PAM_ON_MASTER, type PamLoad } from '../../src/salt/auth/pam.js';
import type { LowstateRunner } from '../../src/salt/clients/netapi.js';
import type { SaltMaster } from '../../src/salt/master.js';
import { connectTo, startDemo } from './demo.js';
import type { CallLatencyOptions } from '../../src/salt/clients/admission/call-latency.js';
import { loadFixture } from './fixtures.js';
import { testSettings } from './settings.js';

/**
 * Shared set-up of the clients-*.test.ts files: a demo master over real sockets, the netapi
 * dispatcher on top, a saltdev token, and every load the request channel sent, recorded in order.
 */

export interface NetapiHarness {
  demo: DemoMaster;
  master: SaltMaster;
  netapi: LowstateRunner;
  token: string;
  /** The `load` of every clear request sent, in order. */
  loads: SaltMap[];
  settings: MasterSettings;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

export interface HarnessOptions {
  demo?: DemoMasterOptions;
  settings?: Partial<MasterSettings>;
  tuning?: Partial<ClientTuning>;
  /** PAM for the ssh client: by default the demo master's simulated users. */
  pam?: PamLoad;
  /** false: every waiting job asks with its own find_job, as LocalClient does. */
  coalesceJobChecks?: boolean;
  /** false: every sync job is published at once. */
  adaptiveJobLimit?: boolean;
  /** When a call counts as fast (call-latency.ts). */
  callLatency?: Partial<CallLatencyOptions>;
  /** The admission's timings (admission.ts). */
  admission?: NetapiDeps['admission'];
}

export async function harness(options: HarnessOptions = {}): Promise<NetapiHarness> {
  const { demo, cleanup } = await startDemo({ minions: ['minion-1'], ...options.demo });
  const master = connectTo(demo);
  cleanups.push(cleanup, () => master.close());
  await master.bus.waitConnected(2_000);
  const loads: SaltMap[] = [];
  const request = master.channel.request.bind(master.channel);
  master.channel.request = (load, requestOptions) => {
    loads.push(structuredClone(load));
    return request(load, requestOptions);
  };
  const record = await master.commands.mkToken({ username: 'saltdev', password: 'saltdev', eauth: 'pam' });
  if (record === null) throw new Error('the demo master refused saltdev');
  loads.length = 0;
  const settings = testSettings({ master: { user: 'root', sockDir: demo.sockDir, ...options.settings } }).master;
  const netapi = createNetapi({
    master,
    settings,
    pam: options.pam ?? PAM_ON_MASTER,
    ...(options.tuning && { tuning: options.tuning }),
    ...(options.coalesceJobChecks !== undefined && { coalesceJobChecks: options.coalesceJobChecks }),
    ...(options.adaptiveJobLimit !== undefined && { adaptiveJobLimit: options.adaptiveJobLimit }),
    ...(options.callLatency && { callLatency: options.callLatency }),
    ...(options.admission && { admission: options.admission }),
  });
  return { demo, master, netapi, token: record.token, loads, settings };
}

/** A local test.ping of every minion: 1 s for returns (`timeout`), then 1 s for find_job (`gather_job_timeout`). */
export function shortPingAll(token: string): SaltMap {
  return { client: 'local', tgt: '*', fun: 'test.ping', timeout: 1, gather_job_timeout: 1, token };
}

/** The loads salt-api sent for a recorded `saltapi_*` case, in order. */
export function recordedLoads(fixture: string): SaltMap[] {
  const exchanges = loadFixture(fixture)['exchanges'] as Array<{ request: { decoded: { load: SaltMap } } }>;
  return exchanges.map((exchange) => exchange.request.decoded.load);
}

export function recordedReturn(fixture: string): unknown {
  return loadFixture(fixture)['netapi_return'];
}

const JID = /^\d{20}$/;
const TOKEN = /^[0-9a-f]{64}$/;

/**
 * A load with its run-specific values replaced (jids, tokens, the root key salt-api sends and
 * salt-apid does not), keys in their order, so two runs compare with toEqual on the JSON text.
 */
export function comparable(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => comparable(v));
  if (typeof value === 'string') {
    if (key === 'key') return '<key>';
    if (key === 'token' || TOKEN.test(value)) return '<token>';
    if (JID.test(value)) return '<jid>';
    return value.replace(/\d{20}/g, '<jid>');
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, comparable(v, k)]));
  }
  return value;
}

/** JSON of `comparable(value)`: equal strings mean equal values with keys in the same order. */
export function ordered(value: unknown): string {
  return JSON.stringify(comparable(value));
}
