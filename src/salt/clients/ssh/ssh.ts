import { execFile } from 'node:child_process';
import { constants, existsSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { isSaltMap, type SaltMap, type SaltValue } from '../../codec/values.js';
import { BadReplyError, JobTimeoutError, NotImplementedHereError, SaltError } from '../../errors.js';
import { emptyDict } from '../../../dict.js';
import { abortReason } from '../abort.js';
import type { LowstateClient } from '../context.js';
import { genJid } from '../jid.js';
import { JobEventStream } from '../local/job-events.js';
import { sshArgv } from './ssh-argv.js';
import { authorizeSsh } from './ssh-authorize.js';
import { writeSecretSaltfile, type SecretSaltfile } from './ssh-saltfile.js';
import { fromEvent, fromPrinted } from './ssh-returns.js';
import { jsonLoads } from '../../../python/json-loads.js';

/**
 * `ssh` (docs/routes.md "Lowstate clients"): salt-api calls salt-ssh's Python API in-process;
 * salt-apid runs the `salt-ssh` program of the master host (roster, keys and thin tarball live
 * there) with the master's configuration and the allow-listed options, after checking the
 * caller as salt-api does (ssh-authorize.ts).
 *
 * What each host answered is read where salt-ssh reports it whole: the `salt/job/<jid>/ret/<host>`
 * event it fires on the master's bus, the same dictionary salt-api returns (return, retcode,
 * success, and for a failed host stdout, stderr and _error). salt-ssh's printed JSON names the
 * hosts, and stands in for a host whose event does not arrive.
 */

async function findOnPath(program: string): Promise<string | undefined> {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, program);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

interface SshRun {
  stdout: string;
  /** The end of what salt-ssh wrote on stderr: its own log lines and, when it fails, the traceback. */
  stderrTail: string;
  code: number;
}

/** How much of salt-ssh's stderr is kept for the log when it fails. */
const STDERR_TAIL_CHARS = 2_000;

function runProgram(program: string, argv: string[], jid: string, timeoutMs: number, signal?: AbortSignal) {
  return new Promise<SshRun>((resolve, reject) => {
    execFile(
      program,
      argv,
      { maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs, killSignal: 'SIGKILL', ...(signal && { signal }) },
      (err, out, errText) => {
        if (err && signal?.aborted) return reject(abortReason(signal));
        if (err && (err as { killed?: boolean }).killed) return reject(new JobTimeoutError(jid, timeoutMs));
        if (err && typeof err.code !== 'number')
          return reject(new BadReplyError('salt-ssh', `${err.message}\n${errText}`));
        resolve({
          stdout: out,
          stderrTail: errText.slice(-STDERR_TAIL_CHARS),
          code: typeof err?.code === 'number' ? err.code : 0,
        });
      },
    );
  });
}

/**
 * salt-ssh ended with an error before it had any host's result (no roster, a configuration it
 * cannot read, a command line it refuses). salt-api raises the same exception inside its own
 * process and answers it with its 500 envelope; so does salt-apid (the `bad-reply` kind), and
 * the log says what salt-ssh wrote. Reading the empty output as "no host matched" would answer
 * `{}`, and the caller could not tell a failure from an empty target.
 */
export class SaltSshFailedError extends SaltError {
  constructor(
    readonly exitCode: number,
    readonly stderrTail: string,
  ) {
    super('bad-reply', `salt-ssh exited with status ${exitCode} without a result: ${lastLines(stderrTail)}`);
  }
}

function lastLines(text: string): string {
  const lines = text.trimEnd().split('\n');
  return lines.slice(-3).join('\n') || '(nothing on stderr)';
}

/** salt-ssh's `--static` JSON output: the hosts, each with what the command line printed for it. */
function printedHosts(stdout: string): Map<string, SaltValue> {
  let parsed: unknown;
  try {
    parsed = stdout.trim() === '' ? {} : jsonLoads(stdout);
  } catch {
    throw new BadReplyError('salt-ssh', stdout);
  }
  if (!isSaltMap(parsed)) throw new BadReplyError('salt-ssh', stdout);
  return new Map(Object.entries(parsed));
}

/** The `salt/job/<jid>/ret/<host>` events of the hosts named, as they arrive within the grace time. */
async function hostEvents(
  stream: JobEventStream,
  jid: string,
  hosts: ReadonlySet<string>,
  graceMs: number,
): Promise<Map<string, SaltMap>> {
  const found = new Map<string, SaltMap>();
  const prefix = `salt/job/${jid}/ret/`;
  const until = performance.now() + graceMs;
  while (found.size < hosts.size) {
    const event = await stream.next(Math.max(0, until - performance.now()));
    if (event === undefined) break;
    const host = event.tag.startsWith(prefix) ? event.tag.slice(prefix.length) : undefined;
    if (host !== undefined && hosts.has(host) && isSaltMap(event.data)) found.set(host, event.data);
  }
  return found;
}

export const runSsh: LowstateClient = async (chunk, ctx, signal, onJid) => {
  // Credentials first, as salt-api checks them before it looks at anything else (a caller without
  // them learns nothing about this host, salt-ssh included).
  await authorizeSsh(chunk, ctx);
  const program = await findOnPath('salt-ssh');
  if (program === undefined) {
    throw new NotImplementedHereError(
      'salt-ssh is not installed on this host; install it (with its roster) to use the ssh client',
    );
  }
  const jid = genJid();
  onJid?.(jid);
  const { argv, fun, funArgs, secrets } = sshArgv(chunk, jid);
  const configDir = ctx.settings.configFile === undefined ? [] : [`--config-dir=${dirname(ctx.settings.configFile)}`];
  // Secrets go in a private copy of the Saltfile salt-ssh would read anyway (ssh-saltfile.ts).
  const saltfile: SecretSaltfile | undefined = secrets.size > 0 ? await writeSecretSaltfile(secrets) : undefined;
  const stream = new JobEventStream(ctx.master.bus, 'salt/job/', signal);
  stream.follow(jid);
  try {
    const flags = saltfile === undefined ? argv : [saltfile.flag, ...argv];
    const { stdout, stderrTail, code } = await runProgram(
      program,
      [...configDir, ...flags],
      jid,
      ctx.settings.restTimeout * 1000,
      signal,
    );
    // Nothing printed and an error status: salt-ssh failed as a whole (it prints `{}`, status 0,
    // when the target matches no host).
    if (stdout.trim() === '' && code !== 0) throw new SaltSshFailedError(code, stderrTail);
    const printed = printedHosts(stdout);
    // salt-ssh fires its events only where it finds the master's pull socket (`SSH.__init__`).
    const fired = existsSync(join(ctx.settings.sockDir, 'master_event_pull.ipc'));
    const events = fired
      ? await hostEvents(stream, jid, new Set(printed.keys()), ctx.tuning.sshEventGraceMs)
      : new Map<string, SaltMap>();
    const result = emptyDict<SaltValue>();
    for (const [host, value] of printed) {
      const event = events.get(host);
      result[host] =
        event === undefined ? fromPrinted(value, { host, fun, funArgs, jid, code }) : fromEvent(event, value);
    }
    return [result];
  } finally {
    stream.close();
    await saltfile?.remove();
  }
};
