import { describe, expect, it } from 'vitest';
import { SALTDEV, authTestApiForFile, cookieSessionId, json, login, pageMessage, startApi } from '../support/api.js';

const api = authTestApiForFile();

const ping = [{ client: 'local', tgt: 'minion-1', fun: 'test.ping' }];

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

  it('answers GET with 405 and Allow: POST, after the gate of the whole resource', async () => {
    const anonymous = await api.call('/logout');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('allow')).toBe('POST');
    const { token } = await login(api);
    const response = await api.call('/logout', { headers: { 'X-Auth-Token': token } });
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
    const response = await api.call('/', json(ping, { 'x-auth-token': token }));
    expect(response.status).toBe(401);
    expect(api.server.sessions.use(token)).toBeUndefined();
  });
});
