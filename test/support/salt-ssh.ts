import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import type { SaltMap } from '../../src/salt/codec/values.js';
import { inject } from 'vitest';
import type { FakeSaltSshScenario } from './fake-salt-ssh.js';

/**
 * Puts a fake `salt-ssh` (fake-salt-ssh.ts, as built for the run, or from source through ts-loader.mjs) first on PATH
 * for the tests of the ssh client; `restore()` puts PATH and the environment back.
 */
export interface FakeSaltSsh {
  /** The arguments of the last run. */
  argv(): Promise<string[]>;
  /** The Saltfile of the last run and its mode, if it was given one. */
  saltfile(): Promise<{ text: string; mode: string } | undefined>;
  restore(): Promise<void>;
}

export interface FakeRun {
  stdout: string;
  stderr?: string;
  exitCode?: number;
  events?: Record<string, SaltMap>;
  /** The master's pull socket (the demo master's `pullAddress`). */
  pullPath: string;
}

export async function installFakeSaltSsh(run: FakeRun): Promise<FakeSaltSsh> {
  const dir = await mkdtemp(join(tmpdir(), 'fake-salt-ssh-'));
  // The build the e2e project's setup made (cli-bundle.ts), else the source through the loader.
  const built = inject('cliBundle')?.fakeSaltSsh;
  const command =
    built === undefined
      ? `--import "${resolve('test/support/ts-loader.mjs')}" "${resolve('test/support/fake-salt-ssh.ts')}"`
      : `"${built}"`;
  await writeFile(join(dir, 'salt-ssh'), `#!/bin/sh\nexec "${process.execPath}" ${command} "$@"\n`);
  await chmod(join(dir, 'salt-ssh'), 0o755);
  const scenario: FakeSaltSshScenario = {
    argsFile: join(dir, 'args'),
    saltfileCopy: join(dir, 'saltfile-copy'),
    pullPath: run.pullPath,
    events: run.events ?? {},
    stdout: run.stdout,
    stderr: run.stderr ?? '',
    exitCode: run.exitCode ?? 0,
  };
  const path = process.env['PATH'];
  process.env['PATH'] = `${dir}${delimiter}${path ?? ''}`;
  process.env['FAKE_SALT_SSH'] = JSON.stringify(scenario);
  return {
    argv: async () => (await readFile(scenario.argsFile, 'utf8')).trimEnd().split('\n'),
    saltfile: async () => {
      try {
        const text = await readFile(scenario.saltfileCopy, 'utf8');
        return { text, mode: await readFile(`${scenario.saltfileCopy}.mode`, 'utf8') };
      } catch {
        return undefined;
      }
    },
    restore: async () => {
      process.env['PATH'] = path;
      delete process.env['FAKE_SALT_SSH'];
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Cleanups a test file runs after each test, last registered first. */
export type Cleanups = Array<() => Promise<void> | void>;

/** {@link installFakeSaltSsh} on the demo master's pull socket, removed by `cleanups`. */
export async function fakeSaltSshFor(
  h: { demo: { pullAddress: unknown } },
  run: Omit<FakeRun, 'pullPath'>,
  cleanups: Cleanups,
): Promise<FakeSaltSsh> {
  const pullPath = h.demo.pullAddress;
  if (typeof pullPath !== 'string') throw new Error('the demo master must listen on unix sockets here');
  const installed = await installFakeSaltSsh({ ...run, pullPath });
  cleanups.push(() => installed.restore());
  return installed;
}

/** A temporary folder, removed by `cleanups`. */
export async function tempDirFor(prefix: string, cleanups: Cleanups): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The keys of a failed host's result, in the order salt-api answers them (a real 3008 master's salt-api). */
export const FAILED_HOST_KEYS = [
  'stdout',
  'stderr',
  'retcode',
  'parsed',
  '_error',
  'id',
  'fun',
  'fun_args',
  'success',
  'return',
  'jid',
  '_stamp',
];
