import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPam, pamForSsh, PAM_ON_MASTER, systemGroups } from '../../src/salt/auth/pam.js';

/**
 * The real authenticate-pam binding against a PAM service of the test's own (pam_exec with a
 * script that checks the password), so no system account is touched. It needs the binding
 * (libpam's headers at install time: .ci/run installs them) and root, to write /etc/pam.d; where
 * either is missing the reason is printed and only the fallback is checked.
 */

const load = loadPam();
const root = process.getuid?.() === 0;
const runnable = load.pam !== undefined && root;
if (!runnable) {
  console.warn(
    `pam-binding.test.ts: the real PAM checks do not run here (${load.pam === undefined ? load.reason : 'not root'})`,
  );
}

describe('in-process PAM (authenticate-pam)', () => {
  it('loads once, or says why not', () => {
    expect(loadPam()).toBe(load);
    if (load.pam === undefined) expect(load.reason).toMatch(/authenticate-pam/);
  });

  it('ssh_pam_in_process: false leaves PAM to the master', () => {
    expect(pamForSsh(false)).toBe(PAM_ON_MASTER);
    expect(pamForSsh(true)).toBeUndefined();
  });

  it('lists the groups of a user as the system does, and none for an unknown one', async () => {
    expect(await systemGroups('root')).toContain('root');
    expect(await systemGroups('no-such-user-here')).toEqual([]);
    expect(await systemGroups('--help')).toEqual([]);
  });
});

describe.runIf(runnable)('authenticate-pam, for real', () => {
  const service = `salt-apid-test-${process.pid}`;
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pam-test-'));
    const check = join(dir, 'check.sh');
    await writeFile(check, `#!/bin/sh\npw=$(tr -d '\\000')\n[ "$PAM_USER" = alice ] && [ "$pw" = 'wonder land' ]\n`);
    await chmod(check, 0o755);
    await writeFile(join('/etc/pam.d', service), `auth required pam_exec.so expose_authtok quiet ${check}\n`);
  });
  afterAll(async () => {
    await rm(join('/etc/pam.d', service), { force: true });
    await rm(dir, { recursive: true, force: true });
  });

  it('accepts the right password through the named service and refuses anything else', async () => {
    const pam = load.pam;
    if (pam === undefined) throw new Error('unreachable');
    expect(await pam.authenticate('alice', 'wonder land', service)).toBe(true);
    expect(await pam.authenticate('alice', 'wonder', service)).toBe(false);
    expect(await pam.authenticate('bob', 'wonder land', service)).toBe(false);
    expect(await pam.authenticate('alice', 'wonder land\0x', service)).toBe(false);
    expect(await pam.authenticate('', 'wonder land', service)).toBe(false);
    // Another service does not know this password.
    expect(await pam.authenticate('alice', 'wonder land', `${service}-missing`)).toBe(false);
  });
});
