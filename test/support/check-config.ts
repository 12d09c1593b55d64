import { writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { writeConfigTree } from './config-tree.js';
import { parseCliArgs, type CliArgs } from '../../src/config/cli-args.js';
import { checkConfig } from '../../src/check-config/check-config.js';
import type { IdentityOps } from '../../src/run-as-user.js';

/** What `salt-apid --check-config` printed, with its problems picked out of standard error. */
export interface CheckOutput {
  ok: boolean;
  stdout: string;
  stderr: string;
  errors: string[];
  warnings: string[];
}

/** A writable that keeps what is written, as text. */
function textSink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

/** The problem lines of one severity (`salt-apid: error: …`), without their head. */
export function problemLines(stderr: string, severity: 'error' | 'warning'): string[] {
  const head = `salt-apid: ${severity}: `;
  return stderr
    .split('\n')
    .filter((line) => line.startsWith(head))
    .map((line) => line.slice(head.length));
}

/**
 * A process identity for the checks of `user:` and of the log files: root by default (as a start
 * is), knowing the users `root` and `salt`.
 */
export function identityOf(options: { user?: string; euid?: number } = {}): IdentityOps {
  const users = [
    { name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/sh' },
    { name: 'salt', uid: 998, gid: 997, home: '/opt/saltstack/salt', shell: '/bin/sh' },
  ];
  const refuse = (): never => {
    throw new Error('a check never switches user');
  };
  return {
    currentUser: () => options.user ?? 'root',
    geteuid: () => options.euid ?? 0,
    lookup: (name) => users.find((entry) => entry.name === name),
    initgroups: refuse,
    setgid: refuse,
    setuid: refuse,
    chownFile: refuse,
    env: {},
  };
}

/** Runs `salt-apid --check-config --config <dir>/master <extra…>` in this process. */
export async function runCheck(
  dir: string,
  extra: string[] = [],
  identity: IdentityOps = identityOf(),
): Promise<CheckOutput> {
  const parsed = parseCliArgs(['--check-config', '--config', join(dir, 'master'), ...extra]);
  if (!('checkConfig' in parsed)) throw new Error('expected run arguments');
  const args: CliArgs = parsed;
  const stdout = textSink();
  const stderr = textSink();
  const ok = await checkConfig(args, args.checkConfig ?? 'yaml', {
    stdout: stdout.stream,
    stderr: stderr.stream,
    identity,
  });
  return {
    ok,
    stdout: stdout.text(),
    stderr: stderr.text(),
    errors: problemLines(stderr.text(), 'error'),
    warnings: problemLines(stderr.text(), 'warning'),
  };
}

/** The option a config line sets (`port: 8000` → `port`), or undefined for a continuation line. */
const keyOf = (line: string): string | undefined => /^([^\s:#-][^:]*):/.exec(line)?.[1];

/** `defaults` without the lines whose option `lines` sets again, then `lines`. */
function overriding(defaults: string[], lines: string[]): string[] {
  const set = new Set(lines.map(keyOf));
  return [...defaults.filter((line) => keyOf(line) === undefined || !set.has(keyOf(line))), ...lines];
}

/**
 * A master config a start would accept without a word, in `dir`: plain HTTP on loopback, a sock_dir
 * holding the bus socket's name, the log file in `dir`, logins and clients configured. `top` and
 * `rest` add lines (top level, and under `rest_cherrypy:`); a line setting an option of these
 * replaces it.
 */
export function goodConfigText(
  dir: string,
  options: { top?: string[] | undefined; rest?: string[] | undefined } = {},
): string {
  const top = [
    // Salt moves a sock_dir longer than cachedir + 10 characters under cachedir: both in `dir`.
    `cachedir: ${join(dir, 'cache')}`,
    `sock_dir: ${join(dir, 'sock')}`,
    `api_logfile: ${join(dir, 'api.log')}`,
    'external_auth: {pam: {saltdev: [.*]}}',
    'netapi_enable_clients: [local, runner]',
  ];
  const rest = ['port: 8000', 'host: 127.0.0.1', 'disable_ssl: true'];
  return [
    ...overriding(top, options.top ?? []),
    'rest_cherrypy:',
    ...overriding(rest, options.rest ?? []).map((line) => `  ${line}`),
    '',
  ].join('\n');
}

/**
 * A config folder (removed by removeConfigTrees): `master` from goodConfigText, given the folder,
 * and a sock_dir holding the bus socket's name.
 */
export function checkConfigDir(
  options: { top?: (dir: string) => string[]; rest?: (dir: string) => string[] } = {},
): string {
  const dir = writeConfigTree({ 'sock/master_event_pub.ipc': '' });
  writeFileSync(join(dir, 'master'), goodConfigText(dir, { top: options.top?.(dir), rest: options.rest?.(dir) }));
  return dir;
}
