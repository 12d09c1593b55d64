/**
 * What the bench measures: salt-apid in front of the demo master, both started here as their own
 * processes (the default), or any salt-api-compatible server named with --url.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAUNCHER_NODE_OPTIONS, launcherEnv } from './launcher.js';

export interface Credentials {
  username: string;
  password: string;
  eauth: string;
}

export interface Target {
  /** `http://host:port` without a trailing slash. */
  base: string;
  host: string;
  port: number;
  credentials: Credentials;
  /** Whether the target is salt-apid on the demo master started by the bench. */
  local: boolean;
  /** The master's `sock_dir`, when known (`--sock-dir` for a remote one): the bench may watch its bus. */
  sockDir: string | undefined;
  /** The server's process, when known (`--pid` for a remote one). */
  pid: number | undefined;
  /** The server's RSS in MB, or NaN when its process is not known. */
  rss(): Promise<number>;
  login(credentials?: Credentials): Promise<string>;
  startupMs: number | undefined;
  idleRssMb: number;
  close(): Promise<void>;
}

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The salt-apid a start runs: the bundle that ships (`bin`, `npm start`), or the files tsc writes. */
export const CLI_ENTRIES = {
  bundle: join(DIST, 'bundle', 'salt-apid.mjs'),
  tsc: join(DIST, 'cli.js'),
} as const;

export const DEMO_CREDENTIALS: Credentials = { username: 'saltdev', password: 'saltdev', eauth: 'pam' };

/** CPU time (user + system) of a process in ms: /proc/PID/stat fields 14 and 15, in clock ticks of 10 ms. */
export async function cpuMsOf(pid: number | undefined): Promise<number> {
  if (pid === undefined) return NaN;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export function rssOf(pid: number | undefined): Promise<number> {
  if (pid === undefined) return Promise.resolve(NaN);
  return readFile(`/proc/${pid}/status`, 'utf8').then(
    (status) => Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024,
    () => NaN,
  );
}

/** The first line a child process prints (the standalone demo master's `{retPort, sockDir, pid}`). */
export async function firstLine(child: ChildProcess): Promise<string> {
  if (!child.stdout) throw new Error('child has no stdout');
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) return line;
  throw new Error('child exited before printing');
}

/** Waits for `GET /` to answer 200; resolves with the ms it took. */
export async function waitForApi(base: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      if ((await fetch(`${base}/`)).status === 200) return Date.now() - started;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > timeoutMs) throw new Error(`no answer on ${base} within ${timeoutMs} ms`);
    // Often enough that the start-up figure is not rounded up by much.
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function loginWith(base: string, fallback: Credentials) {
  return async (credentials: Credentials = fallback): Promise<string> => {
    const res = await fetch(`${base}/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(credentials),
    });
    const token = res.headers.get('x-auth-token');
    if (res.status !== 200 || !token) throw new Error(`login failed: ${res.status} ${await res.text()}`);
    return token;
  };
}

/**
 * salt-apid and the demo master, each in its own process, as in a real deployment. `restOptions`
 * are added to the `rest_cherrypy` section (e.g. `metrics: false`), `demoArgs` to the demo
 * master's command line (e.g. `--capacity default`); `cli` is the salt-apid started (the bundle
 * unless told).
 */
export async function startLocalTarget(
  port: number,
  restOptions: Record<string, string> = {},
  masterOptions: Record<string, string> = {},
  demoArgs: string[] = [],
  /** salt-apid to start: a script (run with this Node.js) or an executable such as /usr/bin/salt-apid. */
  cli: string = CLI_ENTRIES.bundle,
): Promise<Target> {
  const work = await mkdtemp(join(tmpdir(), 'salt-apid-bench-'));
  const children: ChildProcess[] = [];
  const close = async (): Promise<void> => {
    for (const child of children.reverse()) child.kill('SIGTERM');
    await rm(work, { recursive: true, force: true });
  };
  try {
    const master = spawn(
      process.execPath,
      [
        join(DIST, 'demo', 'standalone.js'),
        '--sock-dir',
        join(work, 'sock'),
        '--write-config',
        join(work, 'master'),
        '--api-port',
        String(port),
        ...demoArgs,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(master);
    const { retPort } = JSON.parse(await firstLine(master)) as { retPort: number };
    // The written config ends with its rest_cherrypy section.
    // The fan-out and stuck-client runs open up to 2,000 streams on one session: no stream caps.
    const rest = { max_streams_per_session: '0', max_streams_per_user: '0', ...restOptions };
    const extra = [
      ...Object.entries(rest).map(([key, value]) => `  ${key}: ${value}\n`),
      // Top-level keys after the section; `{work}` is this run's private folder.
      ...Object.entries(masterOptions).map(([key, value]) => `${key}: ${value.replace('{work}', work)}\n`),
    ];
    if (extra.length > 0) await appendFile(join(work, 'master'), extra.join(''));
    const spawnedAt = Date.now();
    // A script runs under this Node.js as the packages' launcher runs it (launcher.ts); anything else (an
    // installed /usr/bin/salt-apid) runs as it is.
    const [command, ...args] = /\.m?js$/.test(cli) ? [process.execPath, ...LAUNCHER_NODE_OPTIONS, cli] : [cli];
    const env = launcherEnv();
    const api = spawn(command, [...args, '--config', join(work, 'master'), '--log-level', 'warn'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env,
    });
    children.push(api);
    const base = `http://127.0.0.1:${port}`;
    await waitForApi(base, 10_000);
    const startupMs = Date.now() - spawnedAt;
    const idleRssMb = await rssOf(api.pid);
    process.stderr.write(
      `demo master on ${retPort}, salt-apid answering after ${startupMs} ms, RSS ${idleRssMb.toFixed(0)} MB\n`,
    );
    return {
      base,
      host: '127.0.0.1',
      port,
      credentials: DEMO_CREDENTIALS,
      local: true,
      sockDir: join(work, 'sock'),
      pid: api.pid,
      rss: () => rssOf(api.pid),
      login: loginWith(base, DEMO_CREDENTIALS),
      startupMs,
      idleRssMb,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A server that runs already (the original salt-api, or salt-apid on a real master). */
export async function remoteTarget(
  url: string,
  credentials: Credentials,
  pid: number | undefined,
  sockDir?: string,
): Promise<Target> {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:') throw new Error(`--url must be an http:// URL, got ${url}`);
  const base = `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, '')}`;
  await waitForApi(base, 5_000);
  const idleRssMb = await rssOf(pid);
  return {
    base,
    host: parsed.hostname,
    port: Number(parsed.port || 80),
    credentials,
    local: false,
    sockDir,
    pid,
    rss: () => rssOf(pid),
    login: loginWith(base, credentials),
    startupMs: undefined,
    idleRssMb,
    close: async () => undefined,
  };
}
