/**
 * What the configuration names on this machine, looked at without writing or connecting: the
 * master's `sock_dir`, the files and folders served, the log files, the `user:` to switch to, the
 * listen address. Run by the user who runs the check: a start as root may read more.
 */
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { CliArgs } from '../config/cli-args.js';
import type { Settings } from '../config/types.js';
import { MetricsToken, WEAK_TOKEN_CHARS } from '../http/auth/metrics-token.js';
import { apiLogTarget } from '../log-outputs.js';
import { planUser, type IdentityOps } from '../run-as-user.js';
import { appendableFileProblem, readableDirProblem, readableFileProblem } from './paths.js';
import type { Locator, Problems } from './problems.js';

export interface EnvironmentContext {
  settings: Settings;
  args: Pick<CliArgs, 'demo' | 'logFile' | 'logFileLevel'>;
  locate: Locator;
  identity: IdentityOps;
  problems: Problems;
}

/** `sock_dir`, where the master's event bus sockets are (unless `ipc_mode: tcp`, or the demo's own). */
function checkSockDir({ settings, args, locate, problems }: EnvironmentContext): void {
  const { sockDir, ipcMode } = settings.master;
  if (args.demo || ipcMode === 'tcp') return;
  const problem = readableDirProblem(sockDir);
  if (problem !== undefined) {
    problems.error(
      `${locate.at(['sock_dir'])}: ${sockDir} ${problem}: the master's event bus lives there; it must be the ` +
        "master's own sock_dir (is the master installed, and does this name its sock_dir?)",
    );
    return;
  }
  const pub = join(sockDir, 'master_event_pub.ipc');
  if (!existsSync(pub)) {
    problems.warning(
      `${locate.at(['sock_dir'])}: no ${pub}: the master is not running, or ${sockDir} is not its sock_dir ` +
        '(salt-apid would start and answer 503 until the bus is there)',
    );
  }
}

/** `static` (a folder), `app` and `favicon` (files): served from disk, a missing one answers 404. */
function checkServedFiles({ settings, locate, problems }: EnvironmentContext): void {
  const { rest } = settings;
  const served: Array<[string, string | undefined, (path: string) => string | undefined]> = [
    ['static', rest.static, readableDirProblem],
    ['app', rest.app, readableFileProblem],
    ['favicon', rest.favicon, readableFileProblem],
  ];
  for (const [option, path, problemOf] of served) {
    const problem = path === undefined ? undefined : problemOf(path);
    if (problem !== undefined) {
      problems.error(`${locate.at(['rest_cherrypy', option])}: ${path} ${problem}: every request for it would get 404`);
    }
  }
}

/** `metrics_token_file`, read as a start reads it: one it cannot use stops the start. */
function checkMetricsToken({ settings, locate, problems }: EnvironmentContext): void {
  const { metrics, metricsDisableAuth, metricsTokenFile } = settings.rest;
  if (metricsTokenFile === undefined || !metrics) return;
  const at = locate.at(['rest_cherrypy', 'metrics_token_file']);
  if (metricsDisableAuth) {
    problems.warning(`${at}: metrics_disable_auth lets every scraper in: the token is never asked for`);
    return;
  }
  try {
    if (new MetricsToken(metricsTokenFile).weak) {
      problems.warning(`${at}: the token is shorter than ${WEAK_TOKEN_CHARS} characters: easy to guess`);
    }
  } catch (err) {
    problems.error(`${at}: ${err instanceof Error ? err.message : String(err)}: salt-apid would refuse to start`);
  }
}

/**
 * `log_access_file`, `log_error_file` and `log_audit_file` stop a start they cannot be opened for (errors);
 * `api_logfile` (or `--log-file`) is only warned about, as the start goes on without it. A start
 * opens them as root, before it switches user: a refusal of access to a check not run as root is a
 * warning.
 */
function checkLogFiles({ settings, args, locate, identity, problems }: EnvironmentContext): void {
  const asRoot = identity.geteuid() === 0;
  const logs: Array<[string[], string, boolean]> = [
    [['rest_cherrypy', 'log_access_file'], settings.rest.logAccessFile, true],
    [['rest_cherrypy', 'log_error_file'], settings.rest.logErrorFile, true],
    [['rest_cherrypy', 'log_audit_file'], settings.rest.logAuditFile, true],
  ];
  const target = apiLogTarget(args, settings.master);
  if (target !== undefined) logs.push([['api_logfile'], target.path, false]);
  for (const [path, file, required] of logs) {
    const found = file === '' ? undefined : appendableFileProblem(file);
    if (found === undefined) continue;
    const message = `${locate.at(path)}: ${file} ${found.problem}`;
    if (!required) problems.warning(`${message}: salt-apid would run without its log file`);
    else if (found.permission && !asRoot) {
      problems.warning(
        `${message} by ${identity.currentUser()}: a start as root might open it; a start as this user could not`,
      );
    } else problems.error(`${message}: salt-apid would refuse to start`);
  }
}

/** `user:`: one the system does not know stops the start; one this process cannot become is only said. */
function checkUser({ settings, identity, problems }: EnvironmentContext): void {
  const plan = planUser(settings.master.user, settings.master.userFile, identity);
  if (plan.kind === 'unknown') problems.error(plan.message);
  if (plan.kind === 'cannot') {
    problems.warning(
      `${plan.message} A start by ${identity.currentUser()} would fail (exit 1): start salt-apid as root, ` +
        `as the packages' unit does, or as ${settings.master.user}`,
    );
  }
}

const WILDCARDS = new Set(['0.0.0.0', '::']);

/** Whether `address` is one this machine can listen on now (loopback's whole 127/8 included). */
function isLocalAddress(address: string): boolean {
  if (WILDCARDS.has(address) || address.startsWith('127.')) return true;
  return Object.values(networkInterfaces()).some((entries) =>
    (entries ?? []).some((entry) => entry.address === address),
  );
}

/** An IP `host` that is none of this machine's: the start's listen would fail (EADDRNOTAVAIL). */
function checkListenAddress({ settings, locate, problems }: EnvironmentContext): void {
  const { host } = settings.rest;
  if (isIP(host) === 0 || host.includes('%') || isLocalAddress(host)) return;
  problems.warning(
    `${locate.at(['rest_cherrypy', 'host'])}: ${host} is not an address of this machine now: a start would fail ` +
      '(EADDRNOTAVAIL) unless it is one by then',
  );
}

/** Relative paths are taken from the directory salt-apid starts in, which the config does not say. */
function checkRelativePaths({ settings, locate, problems }: EnvironmentContext): void {
  const { rest } = settings;
  const paths: Array<[string, string | undefined]> = [
    ['ssl_crt', rest.sslCrt],
    ['ssl_key', rest.sslKey],
    ['ssl_chain', rest.sslChain],
    ['ssl_ca_certs', rest.sslCaCerts],
    ['static', rest.static],
    ['app', rest.app],
    ['favicon', rest.favicon],
    ['log_access_file', rest.logAccessFile],
    ['log_error_file', rest.logErrorFile],
    ['log_audit_file', rest.logAuditFile],
  ];
  for (const [option, path] of paths) {
    if (path === undefined || path === '' || isAbsolute(path)) continue;
    problems.warning(
      `${locate.at(['rest_cherrypy', option])}: ${JSON.stringify(path)} is relative: it is taken from the directory ` +
        `salt-apid starts in (here ${process.cwd()}; / under systemd)`,
    );
  }
}

export function checkEnvironment(context: EnvironmentContext): void {
  checkSockDir(context);
  checkServedFiles(context);
  checkMetricsToken(context);
  checkLogFiles(context);
  checkUser(context);
  checkListenAddress(context);
  checkRelativePaths(context);
}
