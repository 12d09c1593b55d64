import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SALTDEV,
  cookieSessionId,
  json,
  login,
  pageMessage,
  startApi,
  waitUntil,
  type ApiUnderTest,
} from '../support/api.js';

const SESSION_COOKIE =
  /^session_id=([0-9a-f]{40}); expires=(\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT); Max-Age=36000; Path=\/; HttpOnly; SameSite=Lax$/;

let api: ApiUnderTest;

beforeAll(async () => {
  api = await startApi({
    settings: {
      master: {
        // perms come from the API's own external_auth: user entries, '*', groups, dicts last.
        externalAuth: {
          pam: {
            saltdev: ['test.*', { 'web*': ['test.ping'] }, '@runner'],
            '*': ['grains.items', 'test.*'],
            'saltdev%': [{ '@runner': ['jobs.*'] }, 'sys.doc'],
            'others%': ['never.this'],
          },
          auto: { autouser: ['.*', '@wheel', '@runner', '@jobs'], nobody: [] },
        },
      },
    },
  });
});

afterAll(async () => {
  await api.close();
});

const ping = [{ client: 'local', tgt: 'minion-1', fun: 'test.ping' }];

describe('POST /login', () => {
  it("answers the session with salt-api's fields, header and cookie", async () => {
    const before = Date.now() / 1000;
    const response = await api.call('/login', json(SALTDEV));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const text = await response.text();
    const id =
      /^\{"return": \[\{"token": "([0-9a-f]{40})", "expire": [0-9.]+, "start": [0-9.]+, "user": "saltdev", "eauth": "pam", "perms": /.exec(
        text,
      )?.[1];
    expect(id, text).toBeDefined();
    expect(response.headers.get('x-auth-token')).toBe(id);
    const cookie = response.headers.getSetCookie()[0] ?? '';
    const [, cookieId, expires] = SESSION_COOKIE.exec(cookie) ?? [];
    expect(cookieId).toBe(id);
    const expiresAt = Date.parse(expires ?? '') / 1000;
    expect(expiresAt).toBeGreaterThan(before + 36_000 - 5);
    expect(expiresAt).toBeLessThan(before + 36_000 + 5);
    expect(response.headers.get('x-salt-version')).toBeNull();
    expect(response.headers.get('allow')).toBe('GET, HEAD, POST');

    const body = JSON.parse(text) as { return: [{ start: number; expire: number }] };
    expect(body.return[0].expire - body.return[0].start).toBeCloseTo(43_200, 0);
    expect(body.return[0].start).toBeGreaterThanOrEqual(Math.floor(before));
  });

  it("gathers perms from the user, '*' and the groups, strings sorted before the rest", async () => {
    const reply = await login(api);
    expect(reply.perms).toEqual([
      '@runner',
      'grains.items',
      'sys.doc',
      'test.*',
      { '@runner': ['jobs.*'] },
      { 'web*': ['test.ping'] },
    ]);
    const nobody = await login(api, { username: 'nobody', password: 'x', eauth: 'auto' });
    expect(nobody.perms).toEqual({});
  });

  it('accepts urlencoded, YAML, text/plain and list bodies', async () => {
    const bodies: Array<[string, string]> = [
      ['application/x-www-form-urlencoded', 'username=saltdev&password=saltdev&eauth=pam'],
      ['application/x-yaml', 'username: saltdev\npassword: saltdev\neauth: pam\n'],
      ['text/plain;charset=UTF-8', JSON.stringify(SALTDEV)],
      ['application/json', JSON.stringify([SALTDEV])],
    ];
    for (const [contentType, body] of bodies) {
      const response = await api.call('/login', { method: 'POST', headers: { 'content-type': contentType }, body });
      expect(response.status, contentType).toBe(200);
      const reply = (await response.json()) as { return: [{ user: string; token: string }] };
      expect(reply.return[0].user).toBe('saltdev');
      expect(reply.return[0].token).toMatch(/^[0-9a-f]{40}$/);
    }
  });

  it('answers YAML when asked', async () => {
    const response = await api.call('/login', json(SALTDEV, { accept: 'application/x-yaml' }));
    expect(response.headers.get('content-type')).toBe('application/x-yaml');
    expect(await response.text()).toMatch(/^return:\n- eauth: pam\n {2}expire: [0-9.]+\n {2}perms:\n/);
  });

  it('refuses bad credentials with 401 and a fresh session cookie', async () => {
    for (const creds of [
      { ...SALTDEV, password: 'wrong' },
      { ...SALTDEV, eauth: 'nosuch' },
      { username: 'saltdev', password: 'saltdev' },
    ]) {
      const response = await api.call('/login', json(creds));
      expect(response.status).toBe(401);
      expect(pageMessage(await response.text())).toBe('Could not authenticate using provided credentials');
      expect(response.headers.getSetCookie()[0]).toMatch(SESSION_COOKIE);
      expect(response.headers.get('x-auth-token')).toBeNull();
    }
  });

  it('refuses a PAM login without a username or a password with 401 (the master answers those with an exception)', async () => {
    const form = (body: string): RequestInit => ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    for (const init of [
      // Other users than saltdev: these failures count towards the login throttle.
      form('username=no-password&eauth=pam'),
      form('username=empty-password&password=&eauth=pam'),
      form('password=saltdev&eauth=pam'),
      json({ password: 'saltdev', eauth: 'pam' }),
    ]) {
      const response = await api.call('/login', init);
      expect(response.status).toBe(401);
      expect(pageMessage(await response.text())).toBe('Could not authenticate using provided credentials');
    }
  });

  it("answers an empty body with 401, not salt-api's 500", async () => {
    for (const init of [
      { method: 'POST' },
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' },
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' },
    ]) {
      const response = await api.call('/login', init);
      expect(response.status).toBe(401);
      expect(await response.text()).toBe(
        '{"status": 401, "return": "Could not authenticate using provided credentials"}',
      );
    }
  });

  it('issues a fresh session id at every login and ends the session the client presented', async () => {
    let presented = (await login(api)).token;
    for (const header of ['x-auth-token', 'cookie']) {
      const headers = { [header]: header === 'cookie' ? `session_id=${presented}` : presented };
      expect((await api.call('/minions', { headers: { 'x-auth-token': presented } })).status).toBe(200);
      const again = await api.call('/login', json(SALTDEV, headers));
      expect(again.status).toBe(200);
      const fresh = again.headers.get('x-auth-token') ?? '';
      expect(fresh).toMatch(/^[0-9a-f]{40}$/);
      expect(fresh).not.toBe(presented);
      expect(cookieSessionId(again)).toBe(fresh);
      expect(((await again.json()) as { return: [{ token: string }] }).return[0].token).toBe(fresh);
      // Whoever planted or knew the old id holds nothing now.
      expect((await api.call('/minions', { headers: { 'x-auth-token': presented } })).status).toBe(401);
      expect((await api.call('/minions', { headers: { 'x-auth-token': fresh } })).status).toBe(200);
      presented = fresh;
    }
  });

  it('keeps the session the client presented when the login fails', async () => {
    const { token } = await login(api);
    const failed = await api.call('/login', json({ ...SALTDEV, password: 'wrong' }, { 'x-auth-token': token }));
    expect(failed.status).toBe(401);
    expect((await api.call('/minions', { headers: { 'x-auth-token': token } })).status).toBe(200);
  });
});

describe('session bounds', () => {
  it("a user's many logins end only that user's oldest sessions; a full store refuses newcomers with 503", async () => {
    const bounded = await startApi({ settings: { rest: { maxSessions: 6, maxSessionsPerUser: 3 } } });
    try {
      const victim = await login(bounded);
      const nobody = { username: 'nobody', password: 'x', eauth: 'auto' };
      const first = await login(bounded, nobody);
      for (let i = 0; i < 20; i++) await login(bounded, nobody);
      expect((await bounded.call('/minions', { headers: { 'x-auth-token': victim.token } })).status).toBe(200);
      expect((await bounded.call('/logout', { method: 'POST', headers: { 'x-auth-token': first.token } })).status).toBe(
        401,
      );
      expect(bounded.server.sessions.size).toBe(4);

      await login(bounded);
      await login(bounded);
      const full = await bounded.call('/login', json({ username: 'autouser', password: 'x', eauth: 'auto' }));
      expect(full.status).toBe(503);
      expect(full.headers.get('retry-after')).toBe('60');
      expect(await full.json()).toEqual({ status: 503, return: 'Too many sessions are open; try again later.' });
      expect((await bounded.call('/minions', { headers: { 'x-auth-token': victim.token } })).status).toBe(200);
    } finally {
      await bounded.close();
    }
  });
});

describe('GET /login', () => {
  it('asks to log in', async () => {
    const response = await api.call('/login');
    expect(response.status).toBe(200);
    expect(response.headers.get('www-authenticate')).toBe('Session');
    expect(await response.text()).toBe('{"status": null, "return": "Please log in"}');
    expect(response.headers.getSetCookie()[0]).toMatch(SESSION_COOKIE);
  });

  it('refuses undeclared query parameters and other methods, still with a cookie', async () => {
    const query = await api.call('/login?foo=1');
    expect(query.status).toBe(404);
    expect(query.headers.getSetCookie()[0]).toMatch(SESSION_COOKIE);
    const put = await api.call('/login', { method: 'PUT', body: 'x', headers: { 'content-type': 'text/plain' } });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD, POST');
    expect(put.headers.getSetCookie()[0]).toMatch(SESSION_COOKIE);
  });
});

describe('sessions on protected routes', () => {
  it('accepts the session id as X-Auth-Token or as cookie, the header winning', async () => {
    const { token } = await login(api);
    const byHeader = await api.call('/', json(ping, { 'x-auth-token': token }));
    expect(byHeader.status).toBe(200);
    expect(byHeader.headers.get('cache-control')).toBe('private');
    expect(cookieSessionId(byHeader)).toBe(token);

    const byCookie = await api.call('/', json(ping, { cookie: `session_id=${token}` }));
    expect(byCookie.status).toBe(200);

    const headerWins = await api.call(
      '/',
      json(ping, { cookie: `session_id=${token}`, 'x-auth-token': 'ab'.repeat(20) }),
    );
    expect(headerWins.status).toBe(401);
    const emptyHeaderIgnored = await api.call('/', json(ping, { cookie: `session_id=${token}`, 'x-auth-token': '' }));
    expect(emptyHeaderIgnored.status).toBe(200);
  });

  it('answers 401 without a session, before reading the body, with a fresh cookie', async () => {
    const response = await api.call('/', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-auth-token': 'deadbeef' },
      body: '{broken',
    });
    expect(response.status).toBe(401);
    expect(pageMessage(await response.text())).toBe('No permission -- see authorization schemes');
    const id = cookieSessionId(response);
    expect(id).toMatch(/^[0-9a-f]{40}$/);
    expect(id).not.toBe('deadbeef');
  });

  it('does not accept a raw Salt token as session id', async () => {
    const token = await api.server.master.commands.mkToken({ ...SALTDEV });
    const response = await api.call('/', json(ping, { 'x-auth-token': token?.token ?? '' }));
    expect(response.status).toBe(401);
  });
});

describe('POST /logout', () => {
  it('clears the session: the old id is refused afterwards', async () => {
    const { token } = await login(api);
    const response = await api.call('/logout', { method: 'POST', headers: { 'x-auth-token': token } });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('{"return": "Your token has been cleared"}');
    const cookie = response.headers.getSetCookie()[0] ?? '';
    const [, newId, expires] =
      /^session_id=([0-9a-f]{40}); expires=([^;]+); Path=\/; HttpOnly; SameSite=Lax$/.exec(cookie) ?? [];
    expect(newId).toBeDefined();
    expect(newId).not.toBe(token);
    expect(Date.parse(expires ?? '')).toBeLessThan(Date.now() - 300 * 24 * 3600 * 1000);

    for (const id of [token, newId ?? '']) {
      const reuse = await api.call('/', json(ping, { 'x-auth-token': id }));
      expect(reuse.status).toBe(401);
    }
    const again = await api.call('/logout', { method: 'POST', headers: { 'x-auth-token': token } });
    expect(again.status).toBe(401);
  });

  it('answers GET with 405 and Allow: POST', async () => {
    const response = await api.call('/logout');
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });
});

describe('api_acl', () => {
  it('refuses a user from an address outside the list, and lets listed addresses in', async () => {
    const acl = await startApi({
      settings: { rest: { apiAcl: { saltdev: ['10.0.0.1'], autouser: ['127.0.0.1'], '*': ['*'] } } },
    });
    try {
      const refused = await acl.call('/login', json(SALTDEV));
      expect(refused.status).toBe(401);
      expect(pageMessage(await refused.text())).toBe('No permission -- see authorization schemes');
      const spoofed = await acl.call(
        '/login',
        json(SALTDEV, { 'remote-addr': '10.0.0.1', 'x-forwarded-for': '10.0.0.1' }),
      );
      expect(spoofed.status).toBe(401);
      expect((await acl.call('/login', json({ username: 'autouser', password: 'x', eauth: 'auto' }))).status).toBe(200);
      expect((await acl.call('/login', json({ username: 'nobody', password: 'x', eauth: 'auto' }))).status).toBe(200);
    } finally {
      await acl.close();
    }
  });
});

describe('token validity', () => {
  it('refuses a session whose Salt token expired on the master', async () => {
    const short = await startApi({ demo: { tokenExpire: 1 } });
    try {
      const { token, expire, start } = await login(short);
      expect(expire - start).toBeCloseTo(1, 1);
      expect((await short.call('/', json(ping, { 'x-auth-token': token }))).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const expired = await short.call('/', json(ping, { 'x-auth-token': token }));
      expect(expired.status).toBe(401);
      expect(pageMessage(await expired.text())).toBe('No permission -- see authorization schemes');
      expect(cookieSessionId(expired)).not.toBe(token);
      expect((await short.call('/minions', { headers: { 'x-auth-token': token } })).status).toBe(401);
    } finally {
      await short.close();
    }
  });

  it('refuses a session whose token the master no longer knows', async () => {
    const { token } = await login(api);
    const session = api.server.sessions.use(token);
    expect(session).toBeDefined();
    if (session === undefined) return;
    // The master forgets tokens on restart; here the session is pointed at a token it never issued.
    session.token = { ...session.token, token: 'ab'.repeat(32) };
    session.validatedUntil = 0;
    const response = await api.call('/', json(ping, { 'x-auth-token': token }));
    expect(response.status).toBe(401);
    expect(api.server.sessions.use(token)).toBeUndefined();
  });
});

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
