import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lookupUser, parsePasswd, type PasswdEntry } from '../../src/passwd.js';
import { planUser, processIdentity, switchUser, UserSwitchError, type IdentityOps } from '../../src/run-as-user.js';

const SALT: PasswdEntry = { name: 'salt', uid: 998, gid: 997, home: '/opt/saltstack/salt', shell: '/bin/sh' };

/** A process as root (or `euid`), recording what is done to it. */
function fakeProcess(options: { user?: string; euid?: number; users?: PasswdEntry[]; failOn?: string } = {}) {
  const calls: string[] = [];
  const step = (name: string) => {
    calls.push(name);
    if (options.failOn !== undefined && name.startsWith(options.failOn)) {
      throw Object.assign(new Error(`EPERM, Operation not permitted`), { code: 'EPERM' });
    }
  };
  const env: Record<string, string | undefined> = { HOME: '/root', USER: 'root', PATH: '/usr/bin' };
  const ops: IdentityOps = {
    currentUser: () => options.user ?? 'root',
    geteuid: () => options.euid ?? 0,
    lookup: (name) => (options.users ?? [SALT]).find((entry) => entry.name === name),
    initgroups: (name, gid) => step(`initgroups ${name} ${gid}`),
    setgid: (gid) => step(`setgid ${gid}`),
    setuid: (uid) => step(`setuid ${uid}`),
    chownFile: (path, uid) => step(`chown ${path} ${uid}`),
    env,
  };
  return { ops, calls, env };
}

describe('planUser: what salt-apid decides about user: before it opens anything', () => {
  it('changes nothing when it already runs as that user (root included)', () => {
    expect(planUser('root', undefined, fakeProcess().ops)).toEqual({ kind: 'stay' });
    expect(planUser('salt', '/etc/salt/master', fakeProcess({ user: 'salt', euid: 998 }).ops)).toEqual({
      kind: 'stay',
    });
  });

  it('switches, as root, to a user the system knows', () => {
    expect(planUser('salt', '/etc/salt/master', fakeProcess().ops)).toEqual({ kind: 'switch', entry: SALT });
  });

  it('a user the system does not know: a configuration error naming the user and the file', () => {
    expect(planUser('saltt', '/etc/salt/master.d/api.conf', fakeProcess().ops)).toEqual({
      kind: 'unknown',
      message: '/etc/salt/master.d/api.conf: user: no such user "saltt" on this system',
    });
  });

  it("not root: salt-api's message, before the port is bound", () => {
    expect(planUser('salt', '/etc/salt/master', fakeProcess({ user: 'alice', euid: 1000 }).ops)).toEqual({
      kind: 'cannot',
      message: 'Salt configured to run as user "salt" but unable to switch.',
    });
  });
});

describe('switchUser', () => {
  it('hands the log files over, then sets groups, group and user, in that order, and the environment', () => {
    const { ops, calls, env } = fakeProcess();
    switchUser(SALT, ['/var/log/salt/api', '/var/log/salt/access'], ops);
    expect(calls).toEqual([
      'chown /var/log/salt/api 998',
      'chown /var/log/salt/access 998',
      'initgroups salt 997',
      'setgid 997',
      'setuid 998',
    ]);
    // Only the variables that were set, as Salt does.
    expect(env).toEqual({ HOME: '/opt/saltstack/salt', USER: 'salt', PATH: '/usr/bin' });
  });

  it('a log file that cannot be handed over does not stop the switch', () => {
    const { ops, calls } = fakeProcess({ failOn: 'chown' });
    switchUser(SALT, ['/var/log/salt/api'], ops);
    expect(calls.slice(1)).toEqual(['initgroups salt 997', 'setgid 997', 'setuid 998']);
  });

  it.each(['initgroups', 'setgid', 'setuid'])(
    'a failing %s: UserSwitchError with the reason, environment untouched',
    (step) => {
      const { ops, calls, env } = fakeProcess({ failOn: step });
      expect(() => switchUser(SALT, [], ops)).toThrow(UserSwitchError);
      expect(() => switchUser(SALT, [], ops)).toThrow(
        'Salt configured to run as user "salt" but unable to switch. (EPERM, Operation not permitted)',
      );
      expect(calls.at(-1)).toMatch(new RegExp(`^${step}`));
      expect(env['USER']).toBe('root');
    },
  );
});

describe('the password database', () => {
  const PASSWD = [
    'root:x:0:0:root:/root:/bin/bash',
    '# a comment',
    'broken:x:notanumber:1:::',
    'salt:x:998:997:Salt:/opt/saltstack/salt:/bin/sh',
    'short:x:1:1',
    '',
  ].join('\n');

  it('parses passwd(5) lines', () => {
    expect(parsePasswd(PASSWD, 'salt')).toEqual(SALT);
    expect(parsePasswd(PASSWD, 'root')).toEqual({ name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/bash' });
    for (const name of ['broken', 'short', 'nobody', 'x', '', '-n', 'a b', 'a:b']) {
      expect(parsePasswd(PASSWD, name)).toBeUndefined();
    }
  });

  it('reads /etc/passwd first, and asks getent (NSS) only for a name it does not list', () => {
    const asked: string[] = [];
    const sources = {
      readPasswd: () => PASSWD,
      getent: (name: string) => {
        asked.push(name);
        if (name !== 'ldapuser') throw new Error('exit code 2');
        return 'ldapuser:*:5001:5000:LDAP:/home/ldapuser:/bin/bash\n';
      },
    };
    expect(lookupUser('salt', sources)).toEqual(SALT);
    expect(lookupUser('ldapuser', sources)).toMatchObject({ uid: 5001, gid: 5000 });
    expect(lookupUser('ghost', sources)).toBeUndefined();
    expect(lookupUser('--help', sources)).toBeUndefined();
    expect(asked).toEqual(['ldapuser', 'ghost']);
    const unreadable = {
      ...sources,
      readPasswd: () => {
        throw new Error('EACCES');
      },
    };
    expect(lookupUser('ldapuser', unreadable)).toMatchObject({ uid: 5001 });
  });

  it('finds the users of this machine', () => {
    expect(lookupUser('root')).toMatchObject({ uid: 0, gid: 0 });
    expect(lookupUser('no-such-user-salt-apid')).toBeUndefined();
  });
});

describe('processIdentity: the calls it makes on a process', () => {
  it('passes each step to the process, by id, and reads the environment it was given', () => {
    const calls: unknown[][] = [];
    const env: NodeJS.ProcessEnv = { HOME: '/root' };
    const ops = processIdentity({
      geteuid: () => 4242,
      initgroups: (...args: unknown[]) => void calls.push(['initgroups', ...args]),
      setgid: (...args: unknown[]) => void calls.push(['setgid', ...args]),
      setuid: (...args: unknown[]) => void calls.push(['setuid', ...args]),
      env,
    });
    expect(ops.geteuid()).toBe(4242);
    ops.initgroups('salt', 997);
    ops.setgid(997);
    ops.setuid(998);
    expect(calls).toEqual([
      ['initgroups', 'salt', 997],
      ['setgid', 997],
      ['setuid', 998],
    ]);
    expect(ops.env).toBe(env);
    expect(ops.lookup('root')).toMatchObject({ uid: 0 });
    expect(ops.currentUser()).toBe(userInfo().username);
    expect(processIdentity({ env }).geteuid()).toBe(-1);
  });

  it('hands over a regular file only, and only when it is not the user’s already', () => {
    const dir = mkdtempSync(join(tmpdir(), 'salt-apid-chown-'));
    try {
      const file = join(dir, 'api');
      writeFileSync(file, '');
      const ops = processIdentity();
      const owner = statSync(file).uid;
      // Its owner already: nothing to do, whoever runs the test.
      ops.chownFile(file, owner);
      // A directory is never handed over (an operator may point a log option at /dev/stdout too).
      ops.chownFile(dir, owner + 1);
      expect(statSync(dir).uid).toBe(owner);
      if (process.getuid?.() === 0) {
        ops.chownFile(file, 65534);
        expect(statSync(file).uid).toBe(65534);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
