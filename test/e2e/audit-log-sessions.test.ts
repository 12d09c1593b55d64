import { describe, expect, it } from 'vitest';
import { apiForFile, json, login } from '../support/api.js';
import { AUDIT_DEMO, AUDIT_USERS, auditFileForFile, credentialsOf, leakedInto } from '../support/audit.js';

/**
 * `log_audit_file`: the `login`, `login_failed` and `logout` records, through the real server and
 * the demo master, and that neither a password nor a token reaches the file.
 */

const audit = auditFileForFile();
const api = apiForFile({
  demo: AUDIT_DEMO,
  auditLog: audit.sink,
  settings: {
    rest: {
      // The tests connect from 127.0.0.1, which is trusted: X-Forwarded-For is believed.
      trustedProxies: ['127.0.0.1'],
      apiAcl: { '*': ['127.0.0.1', '::1'], mallory: ['192.0.2.99'] },
      loginMaxFailures: 2,
    },
  },
});

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('login records', () => {
  it('records a login with who, the backend, the addresses and the request, and no secret', async () => {
    const response = await api.call('/login', json(credentialsOf('alice'), { 'x-forwarded-for': '203.0.113.7' }));
    expect(response.status).toBe(200);
    const reply = (await response.json()) as { return: Array<{ token: string }> };
    const sessionId = reply.return[0]!.token;

    const [record] = await audit.waitFor((r) => r.kind === 'login' && r.user === 'alice');
    expect(record).toEqual({
      time: expect.stringMatching(ISO_TIME),
      kind: 'login',
      user: 'alice',
      eauth: 'pam',
      source: '127.0.0.1',
      forwarded_for: '203.0.113.7',
      request_id: expect.any(String),
      outcome: 'ran',
      status: 200,
      duration_ms: expect.any(Number),
    });
    expect(Object.keys(record!)).toEqual([
      'time',
      'kind',
      'user',
      'eauth',
      'source',
      'forwarded_for',
      'request_id',
      'outcome',
      'status',
      'duration_ms',
    ]);
    const saltToken = (await api.server.sessions.resolve(sessionId))?.token.token;
    expect(saltToken).toMatch(/^[0-9a-f]{64}$/);
    expect(await leakedInto(audit, [AUDIT_USERS.alice, sessionId, saltToken!])).toEqual([]);
  });

  it('records a password the master refuses, api_acl, the throttle, and a body without credentials', async () => {
    const wrong = { username: 'bob', password: 'Wrong-bob-5d0c2e', eauth: 'pam' };
    expect((await api.call('/login', json(wrong))).status).toBe(401);
    const [refused] = await audit.waitFor((r) => r.kind === 'login_failed' && r.user === 'bob');
    expect(refused).toMatchObject({ user: 'bob', eauth: 'pam', source: '127.0.0.1', outcome: 'refused', status: 401 });
    expect(refused).not.toHaveProperty('forwarded_for');

    expect((await api.call('/login', json(credentialsOf('mallory')))).status).toBe(401);
    const [acl] = await audit.waitFor((r) => r.kind === 'login_failed' && r.user === 'mallory');
    expect(acl).toMatchObject({ outcome: 'refused', status: 401 });

    const carolWrong = { username: 'carol', password: 'Wrong-carol-61aa9f', eauth: 'pam' };
    for (let i = 0; i < 2; i++) expect((await api.call('/login', json(carolWrong))).status).toBe(401);
    expect((await api.call('/login', json(credentialsOf('carol')))).status).toBe(429);
    const carol = await audit.waitFor((r) => r.kind === 'login_failed' && r.user === 'carol', 3);
    expect(carol.map((r) => [r.outcome, r.status])).toEqual([
      ['refused', 401],
      ['refused', 401],
      ['refused', 429],
    ]);

    expect((await api.call('/login', json({}))).status).toBe(401);
    const [empty] = await audit.waitFor((r) => r.kind === 'login_failed' && r.user === null);
    expect(empty).toMatchObject({ user: null, eauth: null, outcome: 'refused', status: 401 });

    const passwords = [wrong.password, carolWrong.password, AUDIT_USERS.carol, AUDIT_USERS.mallory];
    expect(await leakedInto(audit, passwords)).toEqual([]);
  });
});

describe('logout records', () => {
  it('records the session ended, by its user, without the session id', async () => {
    const { token } = await login(api, credentialsOf('dave'));
    const response = await api.call('/logout', { method: 'POST', headers: { 'x-auth-token': token } });
    expect(response.status).toBe(200);
    const [record] = await audit.waitFor((r) => r.kind === 'logout');
    expect(record).toEqual({
      time: expect.stringMatching(ISO_TIME),
      kind: 'logout',
      user: 'dave',
      eauth: 'pam',
      source: '127.0.0.1',
      request_id: expect.any(String),
      outcome: 'ran',
      status: 200,
      duration_ms: expect.any(Number),
    });
    expect(await leakedInto(audit, [token, AUDIT_USERS.dave])).toEqual([]);
  });
});
