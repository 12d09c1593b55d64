import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach } from 'vitest';
import type { DemoMaster, DemoMasterOptions } from '../../src/demo/demo-master.js';
import type { CliOutcome, Daemon } from '../../src/main.js';
import { startDemo } from './demo.js';
import { masterConfigText } from './master-config.js';
import { freePort } from './net.js';

/** What `runCli` wrote to each stream, captured as text. */
export function captureIo() {
  const out = { stdout: '', stderr: '', log: '' };
  const stream = (key: keyof typeof out) => {
    const s = new PassThrough();
    s.on('data', (chunk: Buffer) => (out[key] += chunk.toString()));
    return s;
  };
  return { out, streams: { stdout: stream('stdout'), stderr: stream('stderr'), log: stream('log') } };
}

/** Cleanups run after each test of the file that calls this, last registered first. */
export function cliCleanups(): {
  daemonOf: (outcome: CliOutcome) => Daemon;
  tempDir: (prefix?: string) => Promise<string>;
  onCleanup: (cleanup: () => Promise<void>) => void;
  demoConfig: (options?: DemoConfigOptions) => Promise<DemoConfig>;
} {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  async function tempDir(prefix = 'salt-apid-test-'): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }
  return {
    daemonOf(outcome) {
      if ('exitCode' in outcome) throw new Error(`salt-apid exited with ${outcome.exitCode}`);
      if ('pool' in outcome) throw new Error('salt-apid started workers (tests run workers as processes)');
      const { daemon } = outcome;
      cleanups.push(() => daemon.stop());
      return daemon;
    },
    tempDir,
    onCleanup(cleanup) {
      cleanups.push(cleanup);
    },
    async demoConfig(options = {}) {
      const { demo, cleanup } = await startDemo(options.demo);
      cleanups.push(cleanup);
      const dir = options.dir ?? (await tempDir(options.prefix));
      const port = options.port ?? (await freePort());
      const top = [`cachedir: ${join(dir, 'cache')}`, ...(options.top?.(dir) ?? [])];
      const text = masterConfigText({
        retPort: demo.retPort,
        sockDir: demo.sockDir,
        port,
        top,
        rest: options.rest ?? [],
      });
      await writeFile(join(dir, 'master'), text);
      return { dir, port, base: `http://127.0.0.1:${port}`, demo };
    },
  };
}

export interface DemoConfigOptions {
  /** The demo master's options (its users, their external_auth). */
  demo?: DemoMasterOptions;
  /** Where to write `master` (default: a new temporary folder named with `prefix`). */
  dir?: string;
  prefix?: string;
  port?: number;
  /** Top-level lines after `cachedir`, given the config's folder. */
  top?: (dir: string) => string[];
  /** Lines of the `rest_cherrypy:` section. */
  rest?: string[];
}

/** A master config for the CLI, in its own folder, pointing at a demo master of its own. */
export interface DemoConfig {
  dir: string;
  port: number;
  base: string;
  demo: DemoMaster;
}

/** A file's text, or '' while it does not exist. */
export const readOrEmpty = async (path: string): Promise<string> => (existsSync(path) ? readFile(path, 'utf8') : '');

/** The file's text once `predicate` holds (log files are written asynchronously), or at `timeoutMs`. */
export async function eventually(
  path: string,
  predicate: (text: string) => boolean,
  timeoutMs = 10_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readOrEmpty(path);
    if (predicate(text) || Date.now() > deadline) return text;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
