import { beforeAll, describe, expect, it } from 'vitest';
import { SALTDEV, apiForFile, json, login, pageMessage, returnOf } from '../support/api.js';

const api = apiForFile();
let session: string;

beforeAll(async () => {
  session = (await login(api)).token;
});

describe('POST /run', () => {
  const ping = { client: 'local', tgt: 'minion-1', fun: 'test.ping' };

  it('runs chunks with inline eauth, ignoring sessions', async () => {
    const response = await api.call('/run', json([{ ...ping, ...SALTDEV }], { 'x-auth-token': session }));
    expect(await returnOf(response)).toEqual([{ 'minion-1': true }]);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(response.headers.get('allow')).toBe('GET, HEAD, POST');
  });

  it('runs chunks with a Salt token from /token', async () => {
    const tokenResponse = await api.call('/token', json(SALTDEV));
    expect(tokenResponse.status).toBe(200);
    const tokens = (await tokenResponse.json()) as [
      { token: string; name: string; eauth: string; start: number; expire: number },
    ];
    expect(tokens).toHaveLength(1);
    expect(Object.keys(tokens[0]).slice(0, 4)).toEqual(['start', 'expire', 'name', 'eauth']);
    expect(tokens[0].name).toBe('saltdev');
    expect(tokens[0].token).toMatch(/^[0-9a-f]{64}$/);
    const response = await api.call('/run', json([{ ...ping, token: tokens[0].token }]));
    expect(await returnOf(response)).toEqual([{ 'minion-1': true }]);
  });

  it('refuses missing credentials, a non-hex token and a session id used as token', async () => {
    const none = await api.call('/run', json([ping], { 'x-auth-token': session }));
    expect(none.status).toBe(401);
    expect(pageMessage(await none.text())).toBe('No authentication credentials given');

    const nonHex = await api.call('/run', json([{ ...ping, token: '/etc/passwd' }]));
    expect(nonHex.status).toBe(401);
    expect(pageMessage(await nonHex.text())).toBe('Invalid token');

    const sessionAsToken = await api.call('/run', json([{ ...ping, token: session }]));
    expect(sessionAsToken.status).toBe(401);

    const badPassword = await api.call('/run', json([{ ...ping, ...SALTDEV, password: 'wrong' }]));
    expect(badPassword.status).toBe(401);
  });

  it('answers GET with the welcome document', async () => {
    const response = await api.call('/run');
    expect(response.status).toBe(200);
    expect(((await response.json()) as { return: string }).return).toBe('Welcome');
  });
});

describe('POST /token', () => {
  it('requires username, password and eauth in every set', async () => {
    for (const body of [{ username: 'saltdev', password: 'saltdev' }, [SALTDEV, { eauth: 'pam' }], [1]]) {
      const response = await api.call('/token', json(body));
      expect(response.status).toBe(400);
      expect(pageMessage(await response.text())).toBe('Require "username", "password", and "eauth" params');
    }
  });

  it('refuses bad credentials with 401', async () => {
    const response = await api.call('/token', json({ ...SALTDEV, password: 'wrong' }));
    expect(response.status).toBe(401);
    expect(pageMessage(await response.text())).toBe(
      'Authentication failure of type "eauth" occurred for user saltdev.',
    );
  });

  it('mints one token per credential set, as a bare list', async () => {
    const response = await api.call('/token', json([SALTDEV, { username: 'autouser', password: 'x', eauth: 'auto' }]));
    const tokens = (await response.json()) as Array<{ name: string }>;
    expect(tokens.map((t) => t.name)).toEqual(['saltdev', 'autouser']);
  });
});
