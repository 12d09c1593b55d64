import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnCli } from './cli-process.js';
import { freePort } from './net.js';
import { masterConfigText } from './master-config.js';

/**
 * salt-apid started as a process of its own with a module log: which modules a start loaded (no
 * master needed: it starts without one). For the tests that what only a mode needs stays out of a
 * plain start (decision 0014), from source and from the bundle.
 */

const MODULE_LOG = fileURLToPath(new URL('./module-log.mjs', import.meta.url));

/** Loaded only by the mode named: none of them at a plain start. Patterns of module paths. */
export const ONLY_WHEN_USED: ReadonlyArray<[RegExp, string]> = [
  [/\/node_modules\/prom-client\//, 'metrics: true'],
  [/\/node_modules\/ajv\//, 'a route with a schema'],
  [/\/node_modules\/@fastify\/send\//, 'the first static file served'],
  [/\/src\/http\/openapi\//, 'the first GET /openapi.json'],
  [/\/src\/demo\//, '--demo'],
  [/\/src\/worker-pool\.ts$/, 'workers: N'],
  [/^node:cluster$/, 'workers: N'],
  [/\/src\/salt\/cache\//, 'session_store: cache'],
  [/\/src\/http\/auth\/shared-sessions\.ts$/, 'session_store: cache'],
  [/\/src\/check-config\//, '--check-config'],
];

export interface LoggedStart {
  base: string;
  /** The modules loaded so far: file paths and URLs. */
  loaded(): Promise<string[]>;
}

/**
 * Starts salt-apid (src/cli.ts, or `entry`) with `rest` added to its rest_cherrypy section;
 * what it leaves to undo goes into `cleanups`.
 */
export async function startLogged(
  rest: string[],
  cleanups: Array<() => Promise<void> | void>,
  entry?: string,
): Promise<LoggedStart> {
  const dir = await mkdtemp(join(tmpdir(), 'lazy-modules-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const port = await freePort();
  const config = join(dir, 'master');
  await writeFile(
    config,
    masterConfigText({
      retPort: await freePort(),
      sockDir: join(dir, 'sock'),
      port,
      top: [`api_logfile: ${join(dir, 'api.log')}`],
      rest,
    }),
  );
  const log = join(dir, 'modules');
  const proc = spawnCli(['--config', config, '--log-level', 'info'], {
    nodeArgs: ['--import', MODULE_LOG],
    env: { SALT_APID_MODULE_LOG: log },
    // Without an entry, the sources: the log then names each src/ module a start loads.
    ...(entry !== undefined ? { entry } : { fromSource: true }),
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

export function loadedOf(modules: string[], pattern: RegExp): string[] {
  return modules.filter((module) => pattern.test(module));
}
