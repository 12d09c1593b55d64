import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadedOf, ONLY_WHEN_USED, startLogged } from '../support/lazy-start.js';

/**
 * What only a mode needs is loaded when that mode is used, not at start: the modules a started
 * salt-apid has loaded, as a process of its own (no master needed: it starts without one).
 * test/e2e/bundle.test.ts checks the same of the bundle.
 */

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const startWith = (rest: string[]) => startLogged(rest, cleanups);

describe('modules loaded at start', () => {
  it('names modules that exist: every pattern of our own files matches one', () => {
    const files = execFileSync('git', ['ls-files', 'src'], { encoding: 'utf8' })
      .split('\n')
      .map((file) => `/${file}`);
    const own = ONLY_WHEN_USED.filter(([pattern]) => pattern.source.startsWith('\\/src'));
    expect(own.length).toBeGreaterThan(0);
    expect(own.filter(([pattern]) => !files.some((file) => pattern.test(file))).map(([p]) => p.source)).toEqual([]);
  });

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
