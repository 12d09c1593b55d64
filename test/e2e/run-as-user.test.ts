import { chmod, chown, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_FAILURE, EXIT_USAGE, runCli } from '../../src/main.js';
import { lookupUser, type PasswdEntry } from '../../src/passwd.js';
import type { IdentityOps } from '../../src/run-as-user.js';
import { SALTDEV } from '../support/api.js';
import { spawnCli, type CliProcess } from '../support/cli-process.js';
import { captureIo, cliCleanups } from '../support/cli.js';
import { startDemo } from '../support/demo.js';
import { freePort } from '../support/net.js';
import { masterConfigText } from '../support/master-config.js';

/**
 * The master config's `user:`: salt-apid started as root binds its port, opens its log file, then
 * runs as that user, as salt-api does. The cases that switch for real need root (CI runs as root).
 */

const { daemonOf, tempDir, onCleanup } = cliCleanups();

const IS_ROOT = process.getuid?.() === 0;
const NOBODY = lookupUser('nobody');
const CAN_SWITCH = IS_ROOT && NOBODY !== undefined;
const NOT_ROOT = 'needs root (and a nobody user) to switch users for real';

/**
 * A Salt tree under a root_dir in a temp dir that `nobody` can reach: the demo master's sockets in
 * <root>/var/run/salt/master, the log directory <root>/var/log/salt (root's, as packages make it),
 * the config in <root>/etc/salt/master with `lines` added.
 */
async function saltTree(lines: string[], rest: string[] = []): Promise<{ root: string; configDir: string }> {
  const root = await tempDir('salt-apid-run-as-');
  await chmod(root, 0o755);
  const sockDir = join(root, 'var/run/salt/master');
  await mkdir(sockDir, { recursive: true, mode: 0o755 });
  const { demo, cleanup } = await startDemo({ sockDir });
  onCleanup(cleanup);
  // Connecting to a unix socket needs write permission on it.
  for (const name of ['master_event_pub.ipc', 'master_event_pull.ipc']) await chmod(join(sockDir, name), 0o666);
  await mkdir(join(root, 'var/log/salt'), { recursive: true, mode: 0o755 });
  const configDir = join(root, 'etc/salt');
  await mkdir(configDir, { recursive: true, mode: 0o755 });
  const config = masterConfigText({
    retPort: demo.retPort,
    port: await freePort(),
    top: [
      `root_dir: ${root}`,
      'log_level_logfile: info',
      'netapi_enable_clients: [local]',
      "external_auth: {pam: {saltdev: ['.*']}}",
      ...lines,
    ],
    rest,
  });
  await writeFile(join(configDir, 'master'), config, { mode: 0o644 });
  return { root, configDir };
}

function start(args: string[], options: { uid?: number; gid?: number } = {}): CliProcess {
  const proc = spawnCli(args, options);
  onCleanup(async () => {
    proc.child.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill(), 10_000);
    await proc.exited;
    clearTimeout(timer);
  });
  return proc;
}

/** The real, effective, saved and file-system ids and the groups of a process, from /proc. */
async function identityOf(pid: number): Promise<{ uids: string[]; gids: string[]; groups: string[] }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): string[] =>
    (new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '').split(/\s+/).filter(Boolean);
  return { uids: field('Uid'), gids: field('Gid'), groups: field('Groups') };
}

async function expectNobody(pid: number, nobody: PasswdEntry): Promise<void> {
  const { uids, gids, groups } = await identityOf(pid);
  expect(uids).toEqual(Array(4).fill(String(nobody.uid)));
  expect(gids).toEqual(Array(4).fill(String(nobody.gid)));
  expect(groups).not.toContain('0');
}

/** Logs in as saltdev and pings every minion: the master is reachable from the process as it runs now. */
async function pingThrough(url: string): Promise<void> {
  const login = await fetch(`${url}/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', Connection: 'close' },
    body: JSON.stringify(SALTDEV),
  });
  expect(login.status).toBe(200);
  const token = login.headers.get('x-auth-token') ?? '';
  const ping = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-Auth-Token': token },
    body: JSON.stringify([{ client: 'local', tgt: 'minion-1', fun: 'test.ping' }]),
  });
  expect(ping.status).toBe(200);
  expect(await ping.json()).toEqual({ return: [{ 'minion-1': true }] });
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const lineOf = (line: string): { pid?: number; msg?: string } => JSON.parse(line) as { pid?: number; msg?: string };

describe.skipIf(!CAN_SWITCH)(`user: as root, salt-apid runs as that user (${NOT_ROOT})`, () => {
  const nobody = NOBODY!;

  it('binds its port and opens its log file as root, then runs as nobody and still serves', async () => {
    const { root, configDir } = await saltTree(['user: nobody']);
    const proc = start(['-c', configDir, '-l', 'info']);
    const url = await proc.listening();
    await expectNobody(proc.child.pid!, nobody);
    expect(proc.stdout).toContain('"msg":"running as user nobody"');
    await pingThrough(url);

    // The log file under root_dir, opened as root in a root-owned directory, handed to nobody.
    const logFile = join(root, 'var/log/salt/api');
    expect((await stat(logFile)).uid).toBe(nobody.uid);
    expect(await readFile(logFile, 'utf8')).toContain('running as user nobody');
    // logrotate's `create` makes a fresh file for the user; SIGHUP; nobody reopens it.
    await rename(logFile, `${logFile}.1`);
    await writeFile(logFile, '');
    await chown(logFile, nobody.uid, nobody.gid);
    proc.child.kill('SIGHUP');
    await eventually(
      () => readFile(logFile, 'utf8'),
      (text) => text.includes('log files reopened'),
    );
  });

  it('workers: N — the primary keeps root and supervises; every worker, a replacement too, runs as nobody', async () => {
    const { root, configDir } = await saltTree(['user: nobody'], ['session_store: cache', 'workers: 2']);
    // The session cache is the user's, as the master's cachedir is the salt user's.
    const cache = join(root, 'var/cache/salt/master');
    await mkdir(cache, { recursive: true });
    await chown(cache, nobody.uid, nobody.gid);
    const proc = start(['-c', configDir, '-l', 'info']);
    const url = await proc.listening();
    const listening = (): number[] =>
      proc.stdout
        .split('\n')
        .filter((line) => line.includes('"salt-apid is listening"'))
        .map((line) => lineOf(line).pid!);
    const workers = await eventually(
      async () => listening(),
      (pids) => pids.length === 2,
    );
    expect((await identityOf(proc.child.pid!)).uids[0]).toBe('0');
    for (const pid of workers) await expectNobody(pid, nobody);
    await pingThrough(url);

    // A worker that dies is replaced by the primary, and the replacement switches too.
    process.kill(workers[0]!, 'SIGKILL');
    const replaced = await eventually(
      async () => listening(),
      (pids) => pids.length === 3,
    );
    await expectNobody(replaced[2]!, nobody);
    await pingThrough(url);
    proc.child.kill('SIGTERM');
    expect((await proc.exited).code).toBe(0);
  }, 60_000);

  it("not root: salt-api's message and exit 1, before the port is bound", async () => {
    const { configDir } = await saltTree(['user: root']);
    const proc = start(['-c', configDir], { uid: nobody.uid, gid: nobody.gid });
    expect((await proc.exited).code).toBe(EXIT_FAILURE);
    expect(proc.stderr).toBe('salt-apid: Salt configured to run as user "root" but unable to switch.\n');
    expect(proc.stdout).not.toContain('salt-apid is listening');
  }, 60_000);
});

describe('user: decided before the start, applied once listening', () => {
  it('a user that does not exist: exit 2, naming the user and the file that set it', async () => {
    const dir = await tempDir('salt-apid-run-as-');
    await mkdir(join(dir, 'master.d'));
    await writeFile(join(dir, 'master'), `rest_cherrypy: {port: ${await freePort()}, disable_ssl: true}\n`);
    await writeFile(join(dir, 'master.d', 'user.conf'), 'user: no-such-user-salt-apid\n');
    const { out, streams } = captureIo();
    await expect(runCli(['-c', dir], streams)).resolves.toEqual({ exitCode: EXIT_USAGE });
    expect(out.stderr).toBe(
      `salt-apid: ${join(dir, 'master.d', 'user.conf')}: user: no such user "no-such-user-salt-apid" on this system\n`,
    );
  });

  /** A process that runs as `root` and records the switch it is asked for. */
  function recordingIdentity(calls: string[], fail = false): IdentityOps {
    const entry: PasswdEntry = { name: 'salt', uid: 998, gid: 997, home: '/', shell: '/bin/sh' };
    return {
      currentUser: () => 'root',
      geteuid: () => 0,
      lookup: (name) => (name === 'salt' ? entry : undefined),
      initgroups: (name) => calls.push(`initgroups ${name}`),
      setgid: (gid) => calls.push(`setgid ${gid}`),
      setuid: (uid) => {
        calls.push(`setuid ${uid}`);
        if (fail) throw new Error('EPERM, Operation not permitted');
      },
      chownFile: (path) => calls.push(`chown ${path}`),
      env: {},
    };
  }

  async function config(): Promise<{ dir: string; port: number }> {
    const dir = await tempDir('salt-apid-run-as-');
    const port = await freePort();
    const master = [
      'user: salt',
      `api_logfile: ${join(dir, 'api')}`,
      `rest_cherrypy: {port: ${port}, host: 127.0.0.1, disable_ssl: true, log_access_file: ${join(dir, 'access')}}`,
    ];
    await writeFile(join(dir, 'master'), `${master.join('\n')}\n`);
    return { dir, port };
  }

  it('switches once the port is bound, handing over the log files first', async () => {
    const { dir, port } = await config();
    const calls: string[] = [];
    const { out, streams } = captureIo();
    const daemon = daemonOf(await runCli(['-c', dir], { ...streams, identity: recordingIdentity(calls) }));
    expect(daemon.server.app.server.listening).toBe(true);
    expect(calls).toEqual([
      `chown ${join(dir, 'api')}`,
      `chown ${join(dir, 'access')}`,
      'initgroups salt',
      'setgid 997',
      'setuid 998',
    ]);
    const messages = out.log
      .split('\n')
      .filter(Boolean)
      .map((line) => lineOf(line).msg);
    expect(messages.indexOf('running as user salt')).toBeGreaterThan(
      messages.indexOf(`Server listening at http://127.0.0.1:${port}`),
    );
    expect(messages.indexOf('running as user salt')).toBeLessThan(messages.indexOf('salt-apid is listening'));
  });

  it('a switch that fails: the error logged, everything closed, exit 1', async () => {
    const { dir, port } = await config();
    const { out, streams } = captureIo();
    const outcome = await runCli(['-c', dir], { ...streams, identity: recordingIdentity([], true) });
    expect(outcome).toEqual({ exitCode: EXIT_FAILURE });
    const message = 'Salt configured to run as user "salt" but unable to switch. (EPERM, Operation not permitted)';
    expect(out.stderr).toBe(`salt-apid: ${message}\n`);
    expect(
      out.log
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as object),
    ).toContainEqual(expect.objectContaining({ level: 50, msg: message }));
    expect(out.log).not.toContain('salt-apid is listening');
    // The port is free again.
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });
});
