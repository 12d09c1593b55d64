import { load } from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { SALTDEV, apiForFile, json, login, pageMessage, startApi } from '../support/api.js';

/** Failed-login throttling and api_acl wherever credentials are presented. */

const WRONG = { ...SALTDEV, password: 'wrong' };
const ping = { client: 'local', tgt: 'minion-1', fun: 'test.ping' };

describe('login throttling', () => {
  const api = apiForFile({ settings: { rest: { loginMaxFailures: 3, loginFailureWindow: 60 } } });

  it('/login: after login_max_failures failures, 429 with Retry-After in the negotiated envelope, without asking the master', async () => {
    const user = { username: 'autouser', password: 'x', eauth: 'auto' };
    expect((await api.call('/login', json(user))).status).toBe(200);
    const victim = { username: 'saltdev', password: 'wrong', eauth: 'pam' };
    for (let i = 0; i < 3; i++) expect((await api.call('/login', json(victim))).status).toBe(401);
    const before = api.demo.requestCount();
    const refused = await api.call('/login', json(victim));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(55);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(refused.headers.get('content-type')).toBe('application/json');
    expect(await refused.text()).toBe('{"status": 429, "return": "Too many failed logins; try again later."}');
    const yaml = await api.call('/login', json(victim, { accept: 'application/x-yaml' }));
    expect(yaml.status).toBe(429);
    expect(load(await yaml.text())).toEqual({ status: 429, return: 'Too many failed logins; try again later.' });
    // The right password does not get through either: the guesser must not learn it is right.
    expect((await api.call('/login', json(SALTDEV))).status).toBe(429);
    expect(api.demo.requestCount() - before).toBe(0);
    // Other users from the same address are not affected.
    expect((await api.call('/login', json(user))).status).toBe(200);
  });

  it('/run, /token and POST /keys count inline eauth failures, and refuse with 429 once over', async () => {
    const throttled = await startApi({ settings: { rest: { loginMaxFailures: 3, loginFailureWindow: 60 } } });
    try {
      const [{ token: saltToken }] = (await (await throttled.call('/token', json(SALTDEV))).json()) as [
        { token: string },
      ];
      expect((await throttled.call('/run', json([{ ...ping, ...WRONG }]))).status).toBe(401);
      expect((await throttled.call('/token', json(WRONG))).status).toBe(401);
      expect((await throttled.call('/keys', json({ mid: 'new-minion', ...WRONG }))).status).toBe(401);
      const before = throttled.demo.requestCount();
      for (const [path, body] of [
        ['/run', [{ ...ping, ...SALTDEV }]],
        ['/token', SALTDEV],
        ['/keys', { mid: 'new-minion', ...SALTDEV }],
        ['/login', SALTDEV],
      ] as const) {
        const response = await throttled.call(path, json(body));
        expect(response.status, path).toBe(429);
        expect(response.headers.get('retry-after'), path).toMatch(/^\d+$/);
      }
      expect(throttled.demo.requestCount() - before).toBe(0);
      // A Salt token is not a password guess: token chunks still run.
      expect((await throttled.call('/run', json([{ ...ping, token: saltToken }]))).status).toBe(200);
    } finally {
      await throttled.close();
    }
  });

  it('a successful login is never held back and clears the count', async () => {
    const fresh = await startApi({ settings: { rest: { loginMaxFailures: 3, loginFailureWindow: 60 } } });
    try {
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 2; i++) expect((await fresh.call('/login', json(WRONG))).status).toBe(401);
        expect((await fresh.call('/login', json(SALTDEV))).status).toBe(200);
      }
      for (let i = 0; i < 10; i++) await login(fresh);
    } finally {
      await fresh.close();
    }
  });

  it('60 concurrent wrong passwords make at most login_max_failures (5) mk_token calls; the rest 429 with Retry-After', async () => {
    // The default limit, and Salt's delay of a failed password check (shortened), so that all arrive before any answer.
    const racing = await startApi({ demo: { slowAuthFailures: [200, 300] } });
    try {
      const before = racing.demo.requestCount('mk_token');
      const responses = await Promise.all(Array.from({ length: 60 }, () => racing.call('/login', json(WRONG))));
      const asked = racing.demo.requestCount('mk_token') - before;
      expect(asked).toBeGreaterThan(0);
      expect(asked).toBeLessThanOrEqual(5);
      expect(responses.filter((response) => response.status === 401)).toHaveLength(asked);
      const throttled = responses.filter((response) => response.status === 429);
      expect(throttled).toHaveLength(60 - asked);
      for (const response of throttled) expect(response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);

      // The same through /run: chunks whose password the master checks hold their places too.
      const ghost = { username: 'ghost', password: 'x', eauth: 'pam' };
      const published = racing.demo.requestCount('publish');
      const runs = await Promise.all(
        Array.from({ length: 30 }, () => racing.call('/run', json([{ ...ping, ...ghost }]))),
      );
      const checks = racing.demo.requestCount('publish') - published;
      expect(checks).toBeLessThanOrEqual(5);
      expect(runs.filter((response) => response.status === 429)).toHaveLength(30 - checks);
    } finally {
      await racing.close();
    }
  });

  it('is off with login_max_failures: 0', async () => {
    const off = await startApi({ settings: { rest: { loginMaxFailures: 0 } } });
    try {
      for (let i = 0; i < 8; i++) expect((await off.call('/login', json(WRONG))).status).toBe(401);
      expect((await off.call('/login', json(SALTDEV))).status).toBe(200);
    } finally {
      await off.close();
    }
  });
});

describe('api_acl wherever credentials are presented', () => {
  const api = apiForFile({ settings: { rest: { apiAcl: { saltdev: ['10.0.0.1'], autouser: ['127.0.0.1'] } } } });
  let session: string;
  beforeAll(async () => {
    session = (await login(api, { username: 'autouser', password: 'x', eauth: 'auto' })).token;
  });

  it.each([
    ['/login', SALTDEV],
    ['/run', [{ ...ping, ...SALTDEV }]],
    ['/token', SALTDEV],
    ['/keys', { mid: 'new-minion', ...SALTDEV }],
  ] as const)(
    '%s refuses saltdev from 127.0.0.1 (401, stock message) without asking the master',
    async (path, body) => {
      const before = api.demo.requestCount();
      const response = await api.call(path, json(body));
      expect(response.status).toBe(401);
      expect(pageMessage(await response.text())).toBe('No permission -- see authorization schemes');
      expect(api.demo.requestCount() - before).toBe(0);
    },
  );

  it('judges an unlisted user by the * entry, refused without one', async () => {
    const before = api.demo.requestCount();
    const response = await api.call('/run', json([{ ...ping, username: 'nobody', password: 'x', eauth: 'auto' }]));
    expect(response.status).toBe(401);
    expect(pageMessage(await response.text())).toBe('No permission -- see authorization schemes');
    expect(api.demo.requestCount() - before).toBe(0);
  });

  it('checks lowstate chunks naming a user on the session routes too', async () => {
    const chunk = { ...ping, username: 'saltdev', eauth: 'pam' };
    for (const path of ['/', '/minions']) {
      const response = await api.call(path, json([chunk], { 'x-auth-token': session }));
      expect(response.status, path).toBe(401);
    }
    expect((await api.call('/', json([ping], { 'x-auth-token': session }))).status).toBe(200);
  });

  it('lets a listed user in from a listed address on every route', async () => {
    expect(
      (await api.call('/run', json([{ ...ping, username: 'autouser', password: 'x', eauth: 'auto' }]))).status,
    ).toBe(200);
    expect((await api.call('/token', json({ username: 'autouser', password: 'x', eauth: 'auto' }))).status).toBe(200);
  });

  it('api_acl set without users refuses everyone, as salt_api_acl_tool does', async () => {
    const closed = await startApi({ settings: { rest: { apiAcl: {} } } });
    try {
      expect((await closed.call('/login', json(SALTDEV))).status).toBe(401);
      expect((await closed.call('/run', json([{ ...ping, ...SALTDEV }]))).status).toBe(401);
    } finally {
      await closed.close();
    }
  });
});
