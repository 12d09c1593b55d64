import pino, { type Logger } from 'pino';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { DemoMaster } from '../../src/demo/demo-master.js';
import type { DemoMasterOptions } from '../../src/demo/options.js';
import { settingsForDemo } from '../../src/demo/settings.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { PAM_ON_MASTER } from '../../src/salt/auth/pam.js';
import { startDemo } from './demo.js';
import { freePort } from './net.js';
import type { MasterSettings, Settings } from '../../src/config/types.js';
import { testSettings, type SettingsOverrides } from './settings.js';
import type { LineSink } from '../../src/log.js';
import { STREAM_FEED_EXEC_ARGV } from './cli-process.js';

/** salt-apid on a real socket in front of a demo master, as the API tests drive it. */
export interface ApiUnderTest {
  url: string;
  server: RunningServer;
  demo: DemoMaster;
  /** fetch against the server: `call('/login', {method: 'POST', ...})`. */
  call(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export interface StartApiOptions {
  demo?: DemoMasterOptions;
  settings?: SettingsOverrides;
  logger?: Logger;
  /** `log_audit_file`'s sink (a LogFile): the API keeps an audit log. */
  auditLog?: LineSink;
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The test settings with `overrides` on top, for a salt-apid on a free port of 127.0.0.1 in front of `demo`. */
export async function demoServerSettings(demo: DemoMaster, overrides?: SettingsOverrides): Promise<Settings> {
  const base = testSettings(overrides);
  return settingsForDemo({ ...base, rest: { ...base.rest, host: '127.0.0.1', port: await freePort() } }, demo);
}

/**
 * salt-apid started in this process as the tests run it, once its master connection and its
 * streams' reader are up, unless `masterDown` (the caller closes it).
 */
export async function startTestServer(
  settings: Settings,
  options: Pick<StartApiOptions, 'logger' | 'auditLog'> & { masterDown?: boolean } = {},
): Promise<RunningServer> {
  const server = await startServer({
    settings,
    logger: options.logger ?? pino({ level: 'silent' }),
    ...(options.auditLog && { auditLog: options.auditLog }),
    // The demo master simulates PAM (saltdev/saltdev); the real binding has its own test.
    pam: PAM_ON_MASTER,
    // The streams' thread runs the TypeScript sources too (stream-feed.ts).
    streamFeedExecArgv: STREAM_FEED_EXEC_ARGV,
  });
  if (options.masterDown === true) return server;
  await waitFor(() => server.master.available && server.streamsFed()).catch(async (err: unknown) => {
    await server.close();
    throw err;
  });
  return server;
}

/** salt-apid on a free port of 127.0.0.1, in front of `demo`, with the test settings and `options` on top. */
async function serveDemo(demo: DemoMaster, options: StartApiOptions, masterDown = false): Promise<RunningServer> {
  return startTestServer(await demoServerSettings(demo, options.settings), { ...options, masterDown });
}

export async function startApi(options: StartApiOptions = {}): Promise<ApiUnderTest> {
  const { demo, cleanup } = await startDemo(options.demo);
  const server = await serveDemo(demo, options);
  return {
    url: server.url,
    server,
    demo,
    call: (path, init) => fetch(server.url + path, init),
    async close() {
      await server.close();
      await cleanup();
    },
  };
}

/**
 * salt-apid for all the tests of a file: started beforeAll, closed afterAll. The handle passes every use on to
 * the running API, so tests and hooks use it (not the file's top level).
 */
export function apiForFile(options: StartApiOptions = {}): ApiUnderTest {
  let running: ApiUnderTest | undefined;
  beforeAll(async () => {
    running = await startApi(options);
  });
  afterAll(async () => {
    await running?.close();
  });
  const current = (): ApiUnderTest => {
    if (running === undefined) throw new Error('apiForFile: salt-apid starts in beforeAll; use it in tests and hooks');
    return running;
  };
  return {
    get url() {
      return current().url;
    },
    get server() {
      return current().server;
    },
    get demo() {
      return current().demo;
    },
    call: (path, init) => current().call(path, init),
    close: () => current().close(),
  };
}

/** Another salt-apid in front of `api`'s demo master: a second instance on one master (the caller closes it). */
export async function serveBeside(api: ApiUnderTest, options: StartApiOptions = {}): Promise<RunningServer> {
  return serveDemo(api.demo, options);
}

/** A `start` for files whose tests each start their own salt-apid: what it started is closed afterEach. */
export function apiPerTest(): (options?: StartApiOptions) => Promise<ApiUnderTest> {
  const apis: ApiUnderTest[] = [];
  afterEach(async () => {
    for (const api of apis.splice(0)) await api.close();
  });
  return async (options) => {
    const api = await startApi(options);
    apis.push(api);
    return api;
  };
}

/** salt-apid started while its master is down; `startMaster()` brings the master up on the same addresses. */
export interface ApiWithoutMaster extends ApiUnderTest {
  startMaster(): Promise<DemoMaster>;
  stopMaster(): Promise<void>;
}

/**
 * Starts a demo master only to learn its addresses, stops it, and starts salt-apid against
 * them. `demo` is the current master (the stopped one until `startMaster()`).
 */
export async function startApiWithoutMaster(options: StartApiOptions = {}): Promise<ApiWithoutMaster> {
  const { demo: first, cleanup } = await startDemo(options.demo);
  const demoOptions = first.options;
  await first.stop();
  const server = await serveDemo(first, options, true);
  let current = first;
  return {
    url: server.url,
    server,
    get demo() {
      return current;
    },
    call: (path, init) => fetch(server.url + path, init),
    async startMaster() {
      await current.stop();
      current = await DemoMaster.start(demoOptions);
      return current;
    },
    stopMaster: () => current.stop(),
    async close() {
      await server.close();
      await current.stop();
      await cleanup();
    },
  };
}

export async function waitUntil(condition: () => boolean, timeoutMs?: number): Promise<void> {
  await waitFor(condition, timeoutMs);
}

export const SALTDEV = { username: 'saltdev', password: 'saltdev', eauth: 'pam' } as const;

export const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
  body: JSON.stringify(body),
});

export interface LoginReply {
  token: string;
  expire: number;
  start: number;
  user: string;
  eauth: string;
  perms: unknown;
}

/** Logs in and returns the session id (and the whole reply). */
export async function login(
  api: Pick<ApiUnderTest, 'call'>,
  credentials: Record<string, string> = SALTDEV,
): Promise<LoginReply> {
  const response = await api.call('/login', json(credentials));
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { return: [LoginReply] };
  return body.return[0];
}

/** `post(body, headers)`: POST / with `body` as JSON and `session()` as X-Auth-Token (`headers` on top). */
export function rootPoster(
  api: Pick<ApiUnderTest, 'call'>,
  session: () => string,
): (body: unknown, headers?: Record<string, string>) => Promise<Response> {
  return (body, headers = {}) => api.call('/', json(body, { 'x-auth-token': session(), ...headers }));
}

/** The `session_id` a response's Set-Cookie names. */
export function cookieSessionId(response: Response): string | undefined {
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith('session_id='));
  return cookie?.slice('session_id='.length).split(';')[0];
}

/** The `<p>` message of CherryPy's HTML error page. */
export function pageMessage(html: string): string | undefined {
  return /<p>([\s\S]*?)<\/p>/.exec(html)?.[1];
}

/** The `return` list of a 200 reply (the status is asserted, with the body as the message). */
export async function returnOf(response: Response): Promise<unknown[]> {
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return (JSON.parse(text) as { return: unknown[] }).return;
}

/**
 * An external_auth for the login and session tests: perms come from the API's own external_auth
 * (user entries, '*', groups, dicts last), and the auto eauth has a user with none.
 */
export const AUTH_TEST_EXTERNAL_AUTH: MasterSettings['externalAuth'] = {
  pam: {
    saltdev: ['test.*', { 'web*': ['test.ping'] }, '@runner'],
    '*': ['grains.items', 'test.*'],
    'saltdev%': [{ '@runner': ['jobs.*'] }, 'sys.doc'],
    'others%': ['never.this'],
  },
  auto: { autouser: ['.*', '@wheel', '@runner', '@jobs'], nobody: [] },
};

/** apiForFile with AUTH_TEST_EXTERNAL_AUTH: the API of the login and session tests. */
export function authTestApiForFile(): ApiUnderTest {
  return apiForFile({ settings: { master: { externalAuth: AUTH_TEST_EXTERNAL_AUTH } } });
}
