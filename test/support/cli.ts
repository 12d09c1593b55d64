import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach } from 'vitest';
import type { CliOutcome, Daemon } from '../../src/main.js';

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
} {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return {
    daemonOf(outcome) {
      if ('exitCode' in outcome) throw new Error(`salt-apid exited with ${outcome.exitCode}`);
      if ('pool' in outcome) throw new Error('salt-apid started workers (tests run workers as processes)');
      const { daemon } = outcome;
      cleanups.push(() => daemon.stop());
      return daemon;
    },
    async tempDir(prefix = 'salt-apid-test-') {
      const dir = await mkdtemp(join(tmpdir(), prefix));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      return dir;
    },
    onCleanup(cleanup) {
      cleanups.push(cleanup);
    },
  };
}
