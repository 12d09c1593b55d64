import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { SALTDEV, json, login, pageMessage, startApi, waitUntil } from '../support/api.js';

const ping = [{ client: 'local', tgt: 'minion-1', fun: 'test.ping' }];

describe('master unavailable', () => {
  it('answers 503 at /login and on session routes', async () => {
    const down = await startApi();
    try {
      const { token } = await login(down);
      await down.demo.stop();
      await waitUntil(() => !down.server.master.available);
      const loginResponse = await down.call('/login', json(SALTDEV));
      expect(loginResponse.status).toBe(503);
      expect(pageMessage(await loginResponse.text())).toBe('Salt Master is not available.');
      const run = await down.call('/', json(ping, { 'x-auth-token': token }));
      expect(run.status).toBe(503);
      expect(pageMessage(await run.text())).toBe('Salt Master is not available.');
      const inline = await down.call('/run', json([{ ...ping[0], ...SALTDEV }]));
      expect(inline.status).toBe(503);
    } finally {
      await down.close();
    }
  });
});

describe('enable_sessions: false', () => {
  it('does not mount /login, /logout, /minions, /jobs', async () => {
    const off = await startApi({ settings: { rest: { enableSessions: false } } });
    try {
      for (const [path, method] of [
        ['/login', 'POST'],
        ['/logout', 'POST'],
        ['/minions', 'GET'],
        ['/jobs', 'GET'],
      ] as const) {
        const response = await off.call(path, { method });
        expect(response.status, path).toBe(404);
      }
      const inline = await off.call('/run', json([{ ...ping[0], ...SALTDEV }]));
      expect(inline.status).toBe(200);
    } finally {
      await off.close();
    }
  });
});

describe('logging', () => {
  it('logs the login attempt with user and address, never passwords, session ids or Salt tokens', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logged = await startApi({ logger: pino({ level: 'trace' }, sink) });
    try {
      const secret = 'saltdev-secret-password';
      await logged.call('/login', json({ username: 'autouser', password: secret, eauth: 'auto' }));
      const { token } = await login(logged, SALTDEV);
      const saltToken = logged.server.sessions.use(token)?.token.token ?? '';
      expect((await logged.call('/', json(ping, { 'x-auth-token': token }))).status).toBe(200);
      await logged.call('/logout', { method: 'POST', headers: { cookie: `session_id=${token}` } });
      const log = lines.join('');
      expect(log).toContain('"user":"autouser"');
      expect(log).toContain('"ip":"127.0.0.1"');
      for (const leak of [secret, token, saltToken]) expect(log).not.toContain(leak);
    } finally {
      await logged.close();
    }
  });
});
