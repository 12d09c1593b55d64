import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { BUNDLE_DIR, BUNDLE_ENTRY } from '../../rolldown.config.js';
import { LAUNCHER_NODE_OPTIONS, launcherEnv } from '../../src/bench/launcher.js';
import { json, returnOf } from '../support/api.js';
import type { CliBundle } from '../support/cli-bundle.js';
import { spawnCli } from '../support/cli-process.js';
import { loadedOf, ONLY_WHEN_USED, startLogged } from '../support/lazy-start.js';
import { freePort } from '../support/net.js';
import { SseClient } from '../support/sse.js';

/**
 * The bundle that ships (rolldown.config.ts), built afresh for the run into a folder of its own under
 * dist/ (test/support/cli-bundle.ts) and started as a process of its own: it serves the demo, and a
 * plain start leaves out what only a mode needs.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The bundle the e2e project's setup built for the run. */
const bundle: CliBundle = inject('cliBundle');

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('the bundle', () => {
  it('is what package.json starts and ships, and what the packages run', async () => {
    const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
      scripts: Record<string, string>;
      files: string[];
    };
    const shipped = `${BUNDLE_DIR}/${BUNDLE_ENTRY}`;
    expect(manifest.bin['salt-apid']).toBe(shipped);
    // `npm start` runs scripts/start.mjs, which builds when needed and then runs the bundle in its process.
    expect(manifest.scripts['start']).toBe('node scripts/start.mjs --demo');
    const starter = await readFile(join(ROOT, 'scripts', 'start.mjs'), 'utf8');
    expect(starter).toContain(
      `const BUNDLE = join(ROOT, ${shipped
        .split('/')
        .map((part) => `'${part}'`)
        .join(', ')});`,
    );
    expect(starter).toMatch(/^await import\(pathToFileURL\(BUNDLE\)\.href\);$/m);
    expect(manifest.files).toContain(`${BUNDLE_DIR}/*.mjs`);
    // The .deb/.rpm link /usr/bin/salt-apid to a launcher that runs the bundle with the carried Node.js.
    const launcher = await readFile(join(ROOT, 'pkg', 'common', 'salt-apid.sh'), 'utf8');
    // With the Node.js options and environment the bench and the soak reproduce (src/bench/launcher.ts).
    const options = LAUNCHER_NODE_OPTIONS.join(' ');
    expect(launcher).toMatch(new RegExp(`^exec "\\$here/node" ${options} "\\$here/\\.\\./${shipped}" "\\$@"$`, 'm'));
    expect(launcher).toMatch(/^export MALLOC_ARENA_MAX="\$\{MALLOC_ARENA_MAX:-2\}"$/m);
    expect(launcherEnv({}).MALLOC_ARENA_MAX).toBe('2');
    expect(launcherEnv({ MALLOC_ARENA_MAX: '4' }).MALLOC_ARENA_MAX).toBe('4');
    const unit = await readFile(join(ROOT, 'systemd', 'salt-apid.service'), 'utf8');
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/salt-apid$/m);
  });

  it('serves the demo: a login, a command and the event stream', async () => {
    const port = await freePort();
    // With the launcher's Node.js options: the streams' thread must start under them too.
    const proc = spawnCli(['--demo', '--port', String(port)], {
      entry: bundle.entry,
      nodeArgs: [...LAUNCHER_NODE_OPTIONS],
    });
    cleanups.push(async () => {
      proc.kill();
      await proc.exited;
    });
    const url = await proc.listening();
    const call = (path: string, init?: RequestInit) => fetch(`${url.replace(/\/$/, '')}${path}`, init);
    const root = await call('/');
    expect(root.status).toBe(200);
    // The version comes from package.json, found from the bundle's folder.
    expect(root.headers.get('server')).toMatch(/^salt-apid\/\d+\.\d+\.\d+/);

    const loggedIn = await call('/login', json({ username: 'autouser', password: 'any', eauth: 'auto' }));
    const token = loggedIn.headers.get('x-auth-token') ?? '';
    expect([loggedIn.status, token]).toEqual([200, expect.stringMatching(/^[0-9a-f]{40}$/)]);

    const events = await SseClient.open({ url }, `/events?token=${token}`);
    cleanups.push(() => events.close());
    expect(events.status).toBe(200);
    await events.waitFor('retry: ');

    const ping = await call('/', json([{ client: 'local', tgt: '*', fun: 'test.ping' }], { 'x-auth-token': token }));
    const [minions] = (await returnOf(ping)) as [Record<string, unknown>];
    expect(Object.values(minions).length).toBeGreaterThan(0);
    expect(new Set(Object.values(minions))).toEqual(new Set([true]));
    // The job's events reach the stream, read by the streams' own thread.
    await events.waitFor('salt/job/');
    const metrics = await (await call('/metrics', { headers: { 'x-auth-token': token } })).text();
    expect(metrics).toMatch(/^saltapid_event_streams_reader_connected 1$/m);
  }, 30_000);

  it('keeps what only a mode needs out of a plain start', async () => {
    const api = await startLogged(['metrics: false'], cleanups, bundle.entry);
    expect((await fetch(`${api.base}/`)).status).toBe(200);
    const modules = await api.loaded();
    // The log works: the entry is in it, and the rest of salt-apid with it (no src/ file).
    expect(loadedOf(modules, new RegExp(`/${BUNDLE_ENTRY.replace('.', '\\.')}$`))).not.toEqual([]);
    expect(loadedOf(modules, /\/src\//)).toEqual([]);
    const loadedChunks = bundle.chunks.filter(({ fileName }) => modules.some((m) => m.endsWith(`/${fileName}`)));
    const early = ONLY_WHEN_USED.map(([pattern, mode]) => ({
      mode,
      // Those loaded from node_modules (left out of the bundle), and the chunks holding the others.
      files: [
        ...loadedOf(modules, pattern),
        ...loadedChunks.filter((chunk) => chunk.modules.some((m) => pattern.test(m))).map((c) => c.fileName),
      ],
    }));
    expect(early.filter(({ files }) => files.length > 0)).toEqual([]);
  }, 30_000);
});
