/**
 * Running as the master config's `user:`, as salt-api does (`salt.utils.verify.check_user`): a
 * salt-apid started as root takes that user's groups (initgroups), group and user id once its port
 * is bound and its log files are open; one already running as that user changes nothing.
 *
 * What salt-apid decides before it opens anything (planUser), and differently from salt-api:
 * - a user the system does not know is a configuration error (exit 2, naming the file that set
 *   `user`), where salt-api exits 67 (EX_NOUSER) with "The user is not available";
 * - a process that is not root cannot switch: salt-apid says so with salt-api's message and exits 1
 *   before binding its port, where salt-api tries setuid and stops when it fails.
 * The log files salt-apid opened are handed to the user first (Salt's verify_log_files does so for
 * the log file), so that a reopen after logrotate still works once it runs as that user.
 */
import { chownSync, statSync } from 'node:fs';
import { currentUser } from './config/master-settings.js';
import { lookupUser, type PasswdEntry } from './passwd.js';
import { errorMessage } from './error-fields.js';

export interface IdentityOps {
  /** The name of the user this process runs as (Salt's `get_user`). */
  currentUser(): string;
  geteuid(): number;
  lookup(name: string): PasswdEntry | undefined;
  initgroups(name: string, gid: number): void;
  setgid(gid: number): void;
  setuid(uid: number): void;
  /** Makes `uid` the owner of the regular file at `path` (anything else is left alone). */
  chownFile(path: string, uid: number): void;
  /** HOME, SHELL, USER and LOGNAME follow the user, where they are set (as Salt does). */
  env: Record<string, string | undefined>;
}

/** What of `process` the switch uses. */
export type ProcessCalls = Pick<NodeJS.Process, 'geteuid' | 'initgroups' | 'setgid' | 'setuid' | 'env'>;

/** The identity operations of `proc` (this process by default), its users looked up in the system's database. */
export function processIdentity(proc: ProcessCalls = process): IdentityOps {
  return {
    currentUser,
    geteuid: () => proc.geteuid?.() ?? -1,
    lookup: (name) => lookupUser(name),
    initgroups: (name, gid) => proc.initgroups?.(name, gid),
    setgid: (gid) => proc.setgid?.(gid),
    setuid: (uid) => proc.setuid?.(uid),
    chownFile(path, uid) {
      const stats = statSync(path);
      if (stats.isFile() && stats.uid !== uid) chownSync(path, uid, -1);
    },
    env: proc.env,
  };
}

export const PROCESS_IDENTITY = processIdentity();

export type UserPlan =
  | { kind: 'stay' }
  | { kind: 'switch'; entry: PasswdEntry }
  /** The user does not exist: a configuration error. */
  | { kind: 'unknown'; message: string }
  /** Not root: the switch cannot be made. */
  | { kind: 'cannot'; message: string };

export const cannotSwitch = (user: string): string => `Salt configured to run as user "${user}" but unable to switch.`;

/** What to do about `user` (the master config's, set in `userFile`), decided before anything is opened. */
export function planUser(user: string, userFile: string | undefined, ops: IdentityOps): UserPlan {
  if (user === ops.currentUser()) return { kind: 'stay' };
  const entry = ops.lookup(user);
  if (entry === undefined) {
    const where = userFile ?? 'the master config';
    return { kind: 'unknown', message: `${where}: user: no such user ${JSON.stringify(user)} on this system` };
  }
  if (ops.geteuid() !== 0) return { kind: 'cannot', message: cannotSwitch(user) };
  return { kind: 'switch', entry };
}

export class UserSwitchError extends Error {
  override readonly name = 'UserSwitchError';
}

/**
 * Hands `files` to the user, then switches: groups, group, user, in that order (after setuid the
 * process could no longer change its groups). Throws UserSwitchError with salt-api's message.
 */
export function switchUser(entry: PasswdEntry, files: readonly string[], ops: IdentityOps): void {
  for (const file of files) {
    try {
      ops.chownFile(file, entry.uid);
    } catch {
      // A file that cannot be handed over is still written through the descriptor open now.
    }
  }
  try {
    ops.initgroups(entry.name, entry.gid);
    ops.setgid(entry.gid);
    ops.setuid(entry.uid);
  } catch (err) {
    const reason = errorMessage(err);
    throw new UserSwitchError(`${cannotSwitch(entry.name)} (${reason})`, { cause: err });
  }
  const values: Record<string, string> = {
    HOME: entry.home,
    SHELL: entry.shell,
    USER: entry.name,
    LOGNAME: entry.name,
  };
  for (const [key, value] of Object.entries(values)) if (ops.env[key] !== undefined) ops.env[key] = value;
}
