import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A `redis-server` of a test's own (Debian's package, as test/redis/with-redis.mjs starts the
 * shared one), on a port the test chooses, so that it can be killed and started again there
 * without disturbing the other Redis tests. No persistence: a restarted server is empty.
 */
export interface RedisProcess {
  readonly port: number;
  /** SIGKILL, as a crash or an OOM kill: the connections drop without a goodbye. */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function spawnRedis(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code ?? 'signal'}): ${output}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    });
  });
  child.removeAllListeners('exit');
  child.stdout?.resume();
  return child;
}

async function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

export async function startRedis(port: number): Promise<RedisProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'salt-apid-redis-outage-'));
  let child = await spawnRedis(port, dir);
  return {
    port,
    kill: () => killed(child),
    async restart() {
      await killed(child);
      child = await spawnRedis(port, dir);
    },
    async stop() {
      await killed(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
