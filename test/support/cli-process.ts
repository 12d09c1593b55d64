import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

const LOADER = fileURLToPath(new URL('./ts-loader.mjs', import.meta.url));
/** Node.js options of a thread that runs salt-apid's TypeScript sources (the event streams' thread). */
export const STREAM_FEED_EXEC_ARGV = ['--import', LOADER];
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

/** salt-apid as its own process (the run's bundle, another build or the sources), with what it printed so far. */
export interface CliProcess {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves with the exit code (or the signal) and when it came. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** The URL from the "salt-apid is listening" log line. */
  listening(timeoutMs?: number): Promise<string>;
  kill(): void;
}

export interface SpawnOptions {
  /** Options for `node` itself, before the script (e.g. another `--import`). */
  nodeArgs?: string[];
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /**
   * A built salt-apid to run. By default the bundle the e2e project's setup built for the run
   * (test/support/cli-bundle.ts), else src/cli.ts through the TypeScript loader.
   */
  entry?: string;
  /** Run src/cli.ts through the TypeScript loader even where there is a bundle (which sources it loads). */
  fromSource?: boolean;
  /** Start it as this user and group (the test must run as root). */
  uid?: number;
  gid?: number;
}

/** Starts `salt-apid <args>`; call `kill()` in a cleanup. */
export function spawnCli(args: string[], options: SpawnOptions = {}): CliProcess {
  const { nodeArgs = [], env = {}, uid, gid } = options;
  const entry = options.entry ?? (options.fromSource === true ? undefined : inject('cliBundle')?.entry);
  const script = entry === undefined ? ['--import', LOADER, ...nodeArgs, CLI] : [...nodeArgs, entry];
  const child = spawn(process.execPath, [...script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
    ...(uid !== undefined && { uid }),
    ...(gid !== undefined && { gid }),
  });
  const proc: CliProcess = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() }))),
    listening(timeoutMs = 45_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`salt-apid did not start: ${proc.stderr}`)), timeoutMs);
        const check = (): void => {
          for (const line of proc.stdout.split('\n')) {
            if (!line.includes('salt-apid is listening')) continue;
            clearTimeout(timer);
            child.stdout?.off('data', check);
            resolve((JSON.parse(line) as { url: string }).url);
            return;
          }
        };
        child.stdout?.on('data', check);
        void proc.exited.then(() => reject(new Error(`salt-apid exited: ${proc.stderr}`)));
        check();
      });
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (proc.stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (proc.stderr += chunk));
  return proc;
}
