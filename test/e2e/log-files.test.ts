import { existsSync } from 'node:fs';
import { readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_USAGE, runCli } from '../../src/main.js';
import { freePort } from '../support/net.js';
import { captureIo, cliCleanups } from '../support/cli.js';

const { daemonOf, tempDir, demoConfig } = cliCleanups();

const PASSWORD = 'Pw-very-secret-7f3c19';

const readOrEmpty = async (path: string): Promise<string> => (existsSync(path) ? readFile(path, 'utf8') : '');

async function eventually(path: string, predicate: (text: string) => boolean, timeoutMs = 3_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readOrEmpty(path);
    if (predicate(text) || Date.now() > deadline) return text;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A master config in `dir` for a demo master whose PAM user alice may run anything, runners and wheels too. */
async function masterConfig(dir: string, port: number, rest: string[]): Promise<void> {
  await demoConfig({
    dir,
    port,
    demo: { users: { alice: { password: PASSWORD } }, externalAuth: { pam: { alice: ['.*', '@runner', '@wheel'] } } },
    top: (d) => [`api_logfile: ${join(d, 'api.log')}`, 'external_auth:', '  pam:', '    alice:', "      - '.*'"],
    rest,
  });
}

describe('log_access_file, log_error_file and log_audit_file', () => {
  it('logs every request without tokens or passwords, and reopens the files', async () => {
    const dir = await tempDir('salt-apid-logs-');
    const port = await freePort();
    const accessPath = join(dir, 'access.log');
    const errorPath = join(dir, 'error.log');
    const auditPath = join(dir, 'audit.log');
    await masterConfig(dir, port, [
      `log_access_file: ${accessPath}`,
      `log_error_file: ${errorPath}`,
      `log_audit_file: ${auditPath}`,
    ]);
    const { out, streams } = captureIo();
    const daemon = daemonOf(await runCli(['-c', dir], streams));
    await daemon.server.master.bus.waitConnected(2_000);
    const base = `http://127.0.0.1:${port}`;

    const login = await fetch(`${base}/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'User-Agent': 'log-test/1.0' },
      body: JSON.stringify({ username: 'alice', password: PASSWORD, eauth: 'pam' }),
    });
    expect(login.status).toBe(200);
    const token = ((await login.json()) as { return: Array<{ token: string }> }).return[0]!.token;
    expect(token).toMatch(/^[0-9a-f]+$/);

    // A token in the URL: the stream is opened, then dropped; its line comes when it ends.
    const aborter = new AbortController();
    const events = await fetch(`${base}/events?token=${token}`, { signal: aborter.signal });
    expect(events.status).toBe(200);
    aborter.abort();
    await events.body?.cancel().catch(() => {});
    expect((await fetch(`${base}/`, { headers: { 'X-Auth-Token': token, Accept: 'application/json' } })).status).toBe(
      200,
    );
    // The same token behind spellings of the routes that the path decoding, case or slashes hide.
    const disguised = [
      `/%65vents/${token}`,
      `//events//${token}`,
      `/EVENTS/${token}`,
      `/%77s/${token}`,
      `/Events?salt_token=${token}`,
    ];
    for (const path of disguised) {
      const controller = new AbortController();
      const response = await fetch(base + path, { signal: controller.signal, headers: { Accept: 'application/json' } });
      controller.abort();
      await response.body?.cancel().catch(() => {});
    }

    daemon.server.app.log.error({ password: PASSWORD, creds: { password: PASSWORD, token } }, 'something failed');
    daemon.server.app.log.warn('only a warning');

    const access = await eventually(
      accessPath,
      (t) => t.includes('/events?') && t.includes('"GET / HTTP') && t.split('[redacted]').length > disguised.length + 1,
    );
    expect(access).toContain('"GET /events/[redacted] HTTP/1.1"');
    expect(access).toContain('"GET /ws/[redacted] HTTP/1.1"');
    const lines = access.trim().split('\n');
    expect(lines.find((l) => l.includes('/login'))).toMatch(
      /^127\.0\.0\.1 - - \[\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2}\] "POST \/login HTTP\/1\.1" 200 \d+ "" "log-test\/1\.0"$/,
    );
    expect(access).toContain('"GET /events?[redacted] HTTP/1.1" 200 - ');
    expect(access).toContain('"GET / HTTP/1.1" 200 ');
    expect(out.log).toContain('"access":{"remoteAddress":"127.0.0.1","method":"GET","url":"/","status":200');

    const errors = await eventually(errorPath, (t) => t.includes('something failed'));
    expect(errors).toContain('something failed');
    expect(errors).not.toContain('only a warning');
    expect(errors).not.toContain('salt-apid is listening');

    const audit = await eventually(auditPath, (t) => t.includes('"kind":"login"'));
    expect(audit).toMatch(/^\{"time":"[^"]+","kind":"login","user":"alice","eauth":"pam","source":"127\.0\.0\.1",/);
    // Created readable by its owner and group only (the umask may take more away, never add).
    expect((await stat(auditPath)).mode & 0o077 & ~0o040).toBe(0);

    for (const text of [access, errors, audit, out.log, out.stderr]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(PASSWORD);
    }

    // logrotate: move the files away, SIGHUP, and the next lines go to fresh files.
    await rename(accessPath, `${accessPath}.1`);
    await rename(errorPath, `${errorPath}.1`);
    await rename(auditPath, `${auditPath}.1`);
    daemon.reopenLogs();
    expect((await fetch(`${base}/stats-nope`)).status).toBe(404);
    daemon.server.app.log.error('after rotation');
    const logout = await fetch(`${base}/logout`, { method: 'POST', headers: { 'X-Auth-Token': token } });
    expect(logout.status).toBe(200);
    expect(await eventually(auditPath, (t) => t.includes('"kind":"logout"'))).toContain('"user":"alice"');
    expect((await stat(auditPath)).mode & 0o077 & ~0o040).toBe(0);
    expect(await readFile(`${auditPath}.1`, 'utf8')).not.toContain('"kind":"logout"');
    expect(await eventually(accessPath, (t) => t.includes('/stats-nope'))).toContain('"GET /stats-nope HTTP/1.1" 404 ');
    expect(await eventually(errorPath, (t) => t.includes('after rotation'))).toContain('after rotation');
    expect(await readFile(`${accessPath}.1`, 'utf8')).not.toContain('/stats-nope');
    expect(await readFile(`${errorPath}.1`, 'utf8')).not.toContain('after rotation');
  });

  it.each([
    ['log_access_file', 'access.log'],
    ['log_error_file', 'error.log'],
    ['log_audit_file', 'audit.log'],
  ])('a %s that cannot be opened stops the start with one line and exit 2', async (option, name) => {
    const dir = await tempDir('salt-apid-logs-');
    const bad = join(dir, 'missing-dir', name);
    await masterConfig(dir, await freePort(), [`${option}: ${bad}`]);
    const { out, streams } = captureIo();
    await expect(runCli(['-c', dir], streams)).resolves.toEqual({ exitCode: EXIT_USAGE });
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stderr).toContain(option);
    expect(out.stderr).toContain(bad);
  });
});
