import { execFile } from 'node:child_process';
import { constants, existsSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { isSaltMap, type SaltMap, type SaltValue } from '../codec/values.js';
import { BadReplyError, JobTimeoutError, NotImplementedHereError } from '../errors.js';
import { emptyDict } from '../../dict.js';
import { abortReason } from './abort.js';
import type { LowstateClient } from './context.js';
import { genJid } from './jid.js';
import { JobEventStream } from './job-events.js';
import { sshArgv } from './ssh-argv.js';
import { authorizeSsh } from './ssh-authorize.js';
import { needsPrivateSaltfile, writeSecretSaltfile, type SecretSaltfile } from './ssh-saltfile.js';
import { pythonStr } from '../../python/repr.js';
import { fromEvent, fromPrinted } from './ssh-returns.js';
import { jsonLoads } from '../../python/json-loads.js';

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
  code: number;
}

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
        resolve({ stdout: out, code: typeof err?.code === 'number' ? err.code : 0 });
      },
    );
  });
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

export const runSsh: LowstateClient = async (chunk, ctx, signal) => {
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
  const { argv, fun, funArgs, secrets } = sshArgv(chunk, jid);
  const configDir = ctx.settings.configFile === undefined ? [] : [`--config-dir=${dirname(ctx.settings.configFile)}`];
  const chunkSaltfile = Object.hasOwn(chunk, 'saltfile') ? pythonStr(chunk['saltfile'] ?? null) : undefined;
  // The chunk's own Saltfile is read here and handed over as a private copy (ssh-saltfile.ts).
  const saltfile: SecretSaltfile | undefined = needsPrivateSaltfile(secrets, chunkSaltfile)
    ? await writeSecretSaltfile(secrets, chunkSaltfile)
    : undefined;
  const stream = new JobEventStream(ctx.master.bus, 'salt/job/', signal);
  stream.follow(jid);
  try {
    const flags =
      saltfile === undefined ? argv : [saltfile.flag, ...argv.filter((arg) => !arg.startsWith('--saltfile='))];
    const { stdout, code } = await runProgram(
      program,
      [...configDir, ...flags],
      jid,
      ctx.settings.restTimeout * 1000,
      signal,
    );
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
