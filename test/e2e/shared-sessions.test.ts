import { mkdtemp, readFile, rename, rm, writeFile, mkdir, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DemoMaster } from '../../src/demo/demo-master.js';
import { pack } from '../../src/salt/codec/pack.js';
import { unpack } from '../../src/salt/codec/unpack.js';
import { Float64, SaltExt } from '../../src/salt/codec/values.js';
import type { RunningServer } from '../../src/server.js';
import { startDemo } from '../support/demo.js';
import { pollUntil } from '../support/poll.js';
import { demoServerSettings, startTestServer } from '../support/api.js';

/**
 * `session_store: cache`: two salt-apid instances of one (demo) master sharing sessions through
 * the localfs cache, in the format salt-api writes (docs/shared-sessions.md).
 */

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Cluster {
  demo: DemoMaster;
  cachedir: string;
  start(): Promise<RunningServer>;
}

async function cluster(): Promise<Cluster> {
  const { demo, cleanup } = await startDemo();
  cleanups.push(cleanup);
  const cachedir = await mkdtemp(join(tmpdir(), 'shared-sessions-'));
  cleanups.push(() => rm(cachedir, { recursive: true, force: true }));
  return {
    demo,
    cachedir,
    async start() {
      const server = await startTestServer(
        await demoServerSettings(demo, {
          rest: { sessionStore: 'cache' },
          master: { cachedir, cacheDriver: 'localfs' },
        }),
      );
      let closed = false;
      cleanups.push(async () => {
        if (!closed) await server.close();
      });
      const close = server.close.bind(server);
      server.close = async () => {
        closed = true;
        await close();
      };
      return server;
    },
  };
}

async function login(server: RunningServer): Promise<string> {
  const res = await fetch(`${server.url}/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ username: 'saltdev', password: 'saltdev', eauth: 'pam' }),
  });
  expect(res.status).toBe(200);
  return res.headers.get('x-auth-token') ?? '';
}

const ping = (server: RunningServer, session: string): Promise<Response> =>
  fetch(`${server.url}/`, {
    method: 'POST',
    headers: { 'X-Auth-Token': session, 'Content-Type': 'application/json', Accept: 'application/json' },
    body: '[{"client": "local", "tgt": "*", "fun": "test.ping"}]',
  });

describe('session_store: cache (localfs)', () => {
  it('stores the session where and as salt-api does, and any instance accepts it', async () => {
    const c = await cluster();
    const [a, b] = [await c.start(), await c.start()];
    const session = await login(a);
    const file = join(c.cachedir, 'netapi', 'session', `${session}.p`);
    const stored = unpack(await readFile(file)) as {
      data: { data: { token: string; timeout: number }; expiration: string };
      _expires: number;
    };
    expect(stored.data.data.token).toMatch(/^[0-9a-f]{64}$/);
    const timeout: unknown = stored.data.data.timeout;
    expect(timeout instanceof Float64 ? timeout.value : timeout).toBeGreaterThan(0);
    expect(stored.data.expiration).toMatch(/^\d{8}T\d\d:\d\d:\d\d\.\d{6}$/);
    expect(Math.abs(stored._expires - (Date.now() / 1000 + 36_000))).toBeLessThan(5);
    expect((await ping(b, session)).status).toBe(200);
  });

  it('ends a session everywhere when it logs out on one instance, streams included', async () => {
    const c = await cluster();
    const [a, b] = [await c.start(), await c.start()];
    const session = await login(a);
    const controller = new AbortController();
    const stream = await fetch(`${a.url}/events`, { headers: { 'X-Auth-Token': session }, signal: controller.signal });
    expect(stream.status).toBe(200);
    const reader = stream.body?.getReader();
    const logout = await fetch(`${b.url}/logout`, { method: 'POST', headers: { 'X-Auth-Token': session } });
    expect(logout.status).toBe(200);
    // The stream on the other instance ends within the shared-session check's period, unasked.
    const started = Date.now();
    for (;;) {
      const chunk = await reader?.read();
      if (chunk === undefined || chunk.done) break;
    }
    expect(Date.now() - started).toBeLessThan(8_000);
    expect((await ping(a, session)).status).toBe(401);
    expect((await ping(b, session)).status).toBe(401);
  }, 15_000);

  it('loses no session with an instance: a new one adopts what the cache holds', async () => {
    const c = await cluster();
    const a = await c.start();
    const session = await login(a);
    await a.close();
    const b = await c.start();
    expect((await ping(b, session)).status).toBe(200);
  });

  it('accepts a session salt-api wrote, and none whose time is past; the sweep flushes those', async () => {
    const c = await cluster();
    const a = await c.start();
    const token =
      (await a.master.commands.mkToken({ username: 'saltdev', password: 'saltdev', eauth: 'pam' }))?.token ?? '';
    const dir = join(c.cachedir, 'netapi', 'session');
    await mkdir(dir, { recursive: true });
    const write = (id: string, expires: number) =>
      writeFile(
        join(dir, `${id}.p`),
        pack(
          {
            data: {
              data: { token, timeout: new Float64(720.0000000039737) },
              expiration: new SaltExt(78, Buffer.from('20991126T08:29:17.714499', 'ascii')),
            },
            _expires: expires,
          },
          { useBinType: true },
        ),
        { mode: 0o600 },
      );
    const live = 'a'.repeat(40);
    const expired = 'b'.repeat(40);
    await write(live, Math.trunc(Date.now() / 1000) + 3600);
    await write(expired, Math.trunc(Date.now() / 1000) - 1);
    expect((await ping(a, live)).status).toBe(200);
    expect((await ping(a, expired)).status).toBe(401);
    expect(await a.sessions.sweepShared()).toBe(1);
    expect(await readdir(dir)).toEqual([`${live}.p`]);
  });

  it('fails logins with 500 and /readyz with 503 while the session files cannot be written, and recovers alone', async () => {
    const c = await cluster();
    const server = await c.start();
    const session = await login(server);
    // The session folder replaced by a file: as a full disk or a folder made unwritable, for root too.
    const bank = join(c.cachedir, 'netapi', 'session');
    await rename(bank, `${bank}.aside`);
    await writeFile(bank, 'not a folder');
    const failed = await fetch(`${server.url}/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ username: 'saltdev', password: 'saltdev', eauth: 'pam' }),
    });
    expect(failed.status).toBe(500);
    expect(await failed.text()).toContain('<h2>500 Internal Server Error</h2>');
    const ready = await fetch(`${server.url}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([
      503,
      { status: 'not ready', reason: "the session store's cache does not answer (localfs)" },
    ]);
    // As salt-api's localfs driver: a session file that cannot be looked at is no session (401), not an error.
    expect((await ping(server, session)).status).toBe(401);
    // The folder back: the next readiness probe that may try again finds it writable.
    await rm(bank);
    await rename(`${bank}.aside`, bank);
    const status = await pollUntil(
      async () => (await fetch(`${server.url}/readyz`)).status,
      (seen) => seen === 200,
    );
    expect(status).toBe(200);
    expect((await ping(server, await login(server))).status).toBe(200);
    // And the session whose file was there all along is whole again.
    expect((await ping(server, session)).status).toBe(200);
  });
});
