/**
 * The soak's processes, as in a deployment: the standalone demo master (restartable at the same
 * sockets and port), salt-apid (the bundle, optionally with `workers`), and Redis for shared sessions
 * when asked for. Each fault the soak injects is a method here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { appendFile, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_ENTRIES, firstLine, waitForApi } from '../target.js';
import { LAUNCHER_NODE_OPTIONS, launcherEnv } from '../launcher.js';
import { sleep } from '../events-client.js';

const DIST = join(CLI_ENTRIES.tsc, '..');

export interface RigOptions {
  workers: number;
  redis: boolean;
  /** Where the serving processes write heap snapshots on SIGUSR2 (`--heap-snapshots`); none when unset. */
  heapSnapshotDir?: string | undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function stop(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child === undefined) return;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}

export class SoakRig {
  private master: ChildProcess | undefined;
  private api: ChildProcess | undefined;
  private redis: ChildProcess | undefined;

  private constructor(
    readonly work: string,
    readonly options: RigOptions,
    readonly retPort: number,
    readonly apiPort: number,
    readonly redisPort: number,
  ) {}

  static async start(options: RigOptions): Promise<SoakRig> {
    const work = await mkdtemp(join(tmpdir(), 'salt-apid-soak-'));
    const rig = new SoakRig(work, options, await freePort(), await freePort(), await freePort());
    await rig.startMaster(true);
    await rig.writeConfig();
    if (options.redis) await rig.startRedis();
    await rig.startApi();
    return rig;
  }

  get base(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  get apiPid(): number | undefined {
    return this.api?.pid;
  }

  /** The PIDs serving: the process itself, or its workers. */
  async servingPids(): Promise<number[]> {
    const pid = this.api?.pid;
    if (pid === undefined) return [];
    if (this.options.workers <= 1) return [pid];
    const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
    return [pid, ...children.split(/\s+/).filter(Boolean).map(Number)];
  }

  private async startMaster(writeConfig: boolean): Promise<void> {
    const args = [join(DIST, 'demo', 'standalone.js'), '--sock-dir', join(this.work, 'sock')];
    args.push('--ret-port', String(this.retPort));
    if (writeConfig) args.push('--write-config', join(this.work, 'master'), '--api-port', String(this.apiPort));
    this.master = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    await firstLine(this.master);
  }

  private async writeConfig(): Promise<void> {
    const rest = ['events_ids: true', 'metrics_disable_auth: true', 'stats_disable_auth: true'];
    const top = [`api_logfile: ${join(this.work, 'api.log')}`, `cachedir: ${join(this.work, 'cache')}`];
    if (this.options.workers > 1) rest.push(`workers: ${this.options.workers}`);
    if (this.options.redis) {
      rest.push('session_store: cache');
      top.push('cache: redis', 'cache.redis.host: 127.0.0.1', `cache.redis.port: ${this.redisPort}`);
    } else if (this.options.workers > 1) {
      rest.push('session_store: cache');
    }
    // The written config ends with its rest_cherrypy section: its lines first, then top-level ones.
    await appendFile(
      join(this.work, 'master'),
      [...rest.map((line) => `  ${line}`), ...top].map((line) => `${line}\n`).join(''),
    );
  }

  private async startRedis(): Promise<void> {
    const args = ['--port', String(this.redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    this.redis = spawn('redis-server', [...args, '--dir', this.work], { stdio: 'ignore' });
    await this.waitForPort(this.redisPort);
  }

  private async startApi(): Promise<void> {
    const config = join(this.work, 'master');
    const dir = this.options.heapSnapshotDir;
    // Cluster workers inherit the primary's execArgv: each writes its own snapshot.
    const snapshots = dir === undefined ? [] : ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`];
    // As the packages' launcher runs it (pkg/common/salt-apid.sh; launcher.ts).
    const args = [
      ...LAUNCHER_NODE_OPTIONS,
      ...snapshots,
      CLI_ENTRIES.bundle,
      '--config',
      config,
      '--log-level',
      'warn',
    ];
    this.api = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'], env: launcherEnv() });
    await waitForApi(this.base, 10_000);
  }

  private async waitForPort(port: number): Promise<void> {
    const { connect } = await import('node:net');
    for (let tries = 0; tries < 200; tries++) {
      const open = await new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.destroy();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
      });
      if (open) return;
      await sleep(50);
    }
    throw new Error(`nothing listens on ${port} after 10 s`);
  }

  /** Fault: the master goes away for `downMs` (its event bus with it), then starts again. */
  async restartMaster(downMs: number): Promise<void> {
    await stop(this.master);
    await sleep(downMs);
    await this.startMaster(false);
  }

  /** Fault: Redis stops for `downMs`, then starts again (empty: sessions made meanwhile are gone). */
  async restartRedis(downMs: number): Promise<void> {
    if (!this.redis) return;
    await stop(this.redis);
    await sleep(downMs);
    await this.startRedis();
  }

  /**
   * Fault: the master's event bus goes away for `downMs` while it still answers requests (its
   * event publisher dying and being restarted): SIGUSR2 to the standalone demo master.
   */
  async dropBus(downMs: number): Promise<void> {
    const pid = this.master?.pid;
    if (pid === undefined) return;
    process.kill(pid, 'SIGUSR2');
    await sleep(downMs);
  }

  /**
   * Fault: one worker is killed (SIGKILL); the primary replaces it. Always the youngest, so that
   * the other lives through the whole run and its memory can be judged over the last 20 minutes.
   */
  async killWorker(): Promise<number | undefined> {
    const [primary, ...workers] = await this.servingPids();
    const started = await Promise.all(workers.map((pid) => this.startTicks(pid)));
    let victim: number | undefined;
    let youngest = -1;
    workers.forEach((pid, i) => {
      if (started[i]! > youngest) [victim, youngest] = [pid, started[i]!];
    });
    if (victim === undefined || victim === primary) return undefined;
    process.kill(victim, 'SIGKILL');
    return victim;
  }

  /** When a process started, in clock ticks since boot (/proc/<pid>/stat, field 22). */
  private async startTicks(pid: number): Promise<number> {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[19] ?? -1);
  }

  /** Each serving process writes a heap snapshot (`--heap-snapshots`); resolves once the files stop growing. */
  async heapSnapshots(): Promise<void> {
    const dir = this.options.heapSnapshotDir;
    if (dir === undefined) return;
    const before = new Set(await readdir(dir));
    const pids = await this.servingPids();
    const targets = this.options.workers > 1 ? pids.slice(1) : pids;
    for (const pid of targets) process.kill(pid, 'SIGUSR2');
    const { stat } = await import('node:fs/promises');
    let sizes = '';
    for (let tries = 0; tries < 600; tries++) {
      await sleep(1_000);
      const written = (await readdir(dir)).filter((name) => !before.has(name));
      const now = (await Promise.all(written.map((name) => stat(join(dir, name)).then((s) => s.size)))).join(',');
      if (written.length >= targets.length && now === sizes) return;
      sizes = now;
    }
  }

  async openFds(pid: number): Promise<number> {
    return (await readdir(`/proc/${pid}/fd`).catch(() => [])).length;
  }

  async close(): Promise<void> {
    await stop(this.api);
    await stop(this.master);
    await stop(this.redis);
    await rm(this.work, { recursive: true, force: true });
  }
}
