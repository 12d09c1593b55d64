import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnCli } from '../support/cli-process.js';
import { freePort } from '../support/net.js';

/**
 * What only a mode needs is loaded when that mode is used, not at start: the modules a started
 * salt-apid has loaded, as a process of its own (no master needed: it starts without one).
 */

const MODULE_LOG = fileURLToPath(new URL('../support/module-log.mjs', import.meta.url));

/** Loaded only by the mode named: none of them at a plain start. */
const ONLY_WHEN_USED: ReadonlyArray<[RegExp, string]> = [
  [/\/node_modules\/prom-client\//, 'metrics: true'],
  [/\/node_modules\/ajv\//, 'a route with a schema'],
  [/\/node_modules\/@fastify\/send\//, 'the first static file served'],
  [/\/src\/http\/openapi\//, 'the first GET /openapi.json'],
  [/\/src\/demo\//, '--demo'],
  [/\/src\/worker-pool\.ts$/, 'workers: N'],
  [/^node:cluster$/, 'workers: N'],
  [/\/src\/salt\/cache\//, 'session_store: cache'],
  [/\/src\/http\/shared-sessions\.ts$/, 'session_store: cache'],
];

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Started {
  base: string;
  /** The modules loaded so far. */
  loaded(): Promise<string[]>;
}

async function startWith(rest: string[]): Promise<Started> {
  const dir = await mkdtemp(join(tmpdir(), 'lazy-modules-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const port = await freePort();
  const config = join(dir, 'master');
  await writeFile(
    config,
    [
      'interface: 127.0.0.1',
      `ret_port: ${await freePort()}`,
      `sock_dir: ${join(dir, 'sock')}`,
      'rest_cherrypy:',
      `  port: ${port}`,
      '  host: 127.0.0.1',
      '  disable_ssl: true',
      ...rest.map((line) => `  ${line}`),
      '',
    ].join('\n'),
  );
  const log = join(dir, 'modules');
  const proc = spawnCli(['--config', config, '--log-level', 'info'], {
    nodeArgs: ['--import', MODULE_LOG],
    env: { SALT_APID_MODULE_LOG: log },
  });
  cleanups.push(async () => {
    proc.kill();
    await proc.exited;
  });
  await proc.listening();
  return {
    base: `http://127.0.0.1:${port}`,
    loaded: async () => (await readFile(log, 'utf8')).split('\n').filter((line) => line !== ''),
  };
}

function loadedOf(modules: string[], pattern: RegExp): string[] {
  return modules.filter((module) => pattern.test(module));
}

describe('modules loaded at start', () => {
  it('leave out everything only a mode needs', async () => {
    const api = await startWith(['metrics: false']);
    expect((await fetch(`${api.base}/`)).status).toBe(200);
    const modules = await api.loaded();
    // The log works: Fastify (CommonJS) and salt-apid's own modules are in it.
    expect(loadedOf(modules, /\/node_modules\/fastify\/fastify\.js$/)).not.toEqual([]);
    expect(loadedOf(modules, /\/src\/http\/app\.ts$/)).not.toEqual([]);
    const early = ONLY_WHEN_USED.map(([pattern, mode]) => ({ mode, files: loadedOf(modules, pattern) }));
    expect(early.filter(({ files }) => files.length > 0)).toEqual([]);
  }, 60_000);

  it('load a mode when it is used: metrics at start, the file server and OpenAPI on first use', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lazy-static-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'hello.txt'), 'hello\n');
    const api = await startWith([`static: ${dir}`]);
    expect(loadedOf(await api.loaded(), /\/node_modules\/prom-client\//)).not.toEqual([]);
    expect(loadedOf(await api.loaded(), /\/node_modules\/@fastify\/send\//)).toEqual([]);
    const file = await fetch(`${api.base}/static/hello.txt`);
    expect([file.status, await file.text()]).toEqual([200, 'hello\n']);
    expect(loadedOf(await api.loaded(), /\/node_modules\/@fastify\/send\//)).not.toEqual([]);
    const openapi = await fetch(`${api.base}/openapi.json`);
    expect(openapi.status).toBe(200);
    expect(((await openapi.json()) as { openapi: string }).openapi).toMatch(/^3\.1/);
    expect(loadedOf(await api.loaded(), /\/src\/http\/openapi\/document\.ts$/)).not.toEqual([]);
  }, 60_000);
});
