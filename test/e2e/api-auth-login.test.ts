import { describe, expect, it } from 'vitest';
import { SALTDEV, authTestApiForFile, cookieSessionId, json, login, pageMessage, startApi } from '../support/api.js';

const SESSION_COOKIE =
  /^session_id=([0-9a-f]{40}); expires=(\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT); Max-Age=36000; Path=\/; HttpOnly; SameSite=Lax$/;

const api = authTestApiForFile();

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
  it("a user's many logins end only that user's oldest sessions; a full store lets every login in", async () => {
    const bounded = await startApi({ settings: { rest: { maxSessions: 6, maxSessionsPerUser: 3 } } });
    try {
      const operator = await login(bounded);
      const nobody = { username: 'nobody', password: 'x', eauth: 'auto' };
      const first = await login(bounded, nobody);
      for (let i = 0; i < 20; i++) await login(bounded, nobody);
      expect((await bounded.call('/minions', { headers: { 'x-auth-token': operator.token } })).status).toBe(200);
      expect((await bounded.call('/logout', { method: 'POST', headers: { 'x-auth-token': first.token } })).status).toBe(
        401,
      );
      expect(bounded.server.sessions.size).toBe(4);

      // A flood of logins under new names (auto takes any name) fills the store and goes on: every
      // login gets in, ending the oldest sessions nobody used since their login (nobody's three,
      // then the flood's own), never the operator's session in use.
      const flood: string[] = [];
      for (let i = 0; i < 10; i++) flood.push((await login(bounded, { ...nobody, username: `flood-${i}` })).token);
      expect(bounded.server.sessions.size).toBe(6);
      expect((await bounded.call('/minions', { headers: { 'x-auth-token': operator.token } })).status).toBe(200);
      expect(flood.map((id) => bounded.server.sessions.use(id) !== undefined)).toEqual([
        ...Array<boolean>(5).fill(false),
        ...Array<boolean>(5).fill(true),
      ]);
      const metrics = await (await bounded.call('/metrics', { headers: { 'x-auth-token': operator.token } })).text();
      expect(metrics).toContain('saltapid_sessions_evicted_total{reason="store_full"} 8');
      expect(metrics).toContain('saltapid_sessions_evicted_total{reason="user_limit"} 18');
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
