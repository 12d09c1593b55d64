/**
 * A user's password database entry by name, as Python's `pwd.getpwnam` gives Salt: Node has no
 * getpwnam, so /etc/passwd is read first, and `getent passwd NAME` (the system's NSS: LDAP, sssd,
 * systemd's dynamic users) asked only for a name that file does not list.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

/** A name getent could take for an option or that no passwd line can hold. */
const unusableName = (name: string): boolean => name === '' || name.startsWith('-') || /[:\s]/.test(name);

const isId = (field: string | undefined): field is string => field !== undefined && /^[0-9]{1,10}$/.test(field);

/** The entry of `name` in passwd(5) text: `name:password:uid:gid:gecos:home:shell` lines. */
export function parsePasswd(text: string, name: string): PasswdEntry | undefined {
  if (unusableName(name)) return undefined;
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields[0] !== name || fields.length < 7) continue;
    const [, , uid, gid, , home = '', shell = ''] = fields;
    if (!isId(uid) || !isId(gid)) continue;
    return { name, uid: Number(uid), gid: Number(gid), home, shell: shell.trimEnd() };
  }
  return undefined;
}

export interface PasswdSources {
  /** The text of /etc/passwd; throws when it cannot be read. */
  readPasswd(): string;
  /** `getent passwd NAME`'s output; throws when it finds nothing or cannot run. */
  getent(name: string): string;
}

export const SYSTEM_PASSWD: PasswdSources = {
  readPasswd: () => readFileSync('/etc/passwd', 'utf8'),
  getent: (name) =>
    execFileSync('getent', ['passwd', name], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    }),
};

export function lookupUser(name: string, sources: PasswdSources = SYSTEM_PASSWD): PasswdEntry | undefined {
  if (unusableName(name)) return undefined;
  const attempt = (read: () => string): PasswdEntry | undefined => {
    try {
      return parsePasswd(read(), name);
    } catch {
      return undefined;
    }
  };
  return attempt(() => sources.readPasswd()) ?? attempt(() => sources.getent(name));
}
