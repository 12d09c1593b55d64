import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { apiForFile, login, pageMessage, startApi, type ApiUnderTest } from '../support/api.js';
import { SseClient } from '../support/sse.js';

/**
 * Requests that declare no length (neither Content-Length nor Transfer-Encoding: `curl -X POST`
 * without `-d`, many CI tools' bare triggers) and paths deeper than a resource takes, answered as
 * salt-api answers them (docs/routes.md "Requests without a length"): a POST to a lowstate resource
 * is a POST with an empty body; otherwise the resource's gate, then 411, then 405.
 */

interface RawAnswer {
  status: number;
  /** Header values by lower-case name. */
  headers: Map<string, string[]>;
  body: string;
}

function dechunk(text: string): string {
  let rest = text;
  let body = '';
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    const size = Number.parseInt(rest.slice(0, lineEnd), 16);
    if (!(size > 0)) return body;
    body += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
}

/** One request written by hand, so that no client adds a Content-Length the test does not mean. */
function rawRequest(
  api: ApiUnderTest,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body = '',
): Promise<RawAnswer> {
  const url = new URL(api.url);
  const head = Object.entries({ Host: url.host, Connection: 'close', ...headers })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(`${method} ${path} HTTP/1.1\r\n${head}\r\n${body}`);
    });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const [statusLine = '', ...lines] = text.slice(0, split).split('\r\n');
      const answerHeaders = new Map<string, string[]>();
      for (const line of lines) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).toLowerCase();
        answerHeaders.set(name, [...(answerHeaders.get(name) ?? []), line.slice(colon + 1).trim()]);
      }
      const rest = text.slice(split + 4);
      resolve({
        status: Number(statusLine.split(' ')[1]),
        headers: answerHeaders,
        body: answerHeaders.get('transfer-encoding')?.[0] === 'chunked' ? dechunk(rest) : rest,
      });
    });
  });
}

const header = (answer: RawAnswer, name: string): string | undefined => answer.headers.get(name)?.[0];

type Credentials = 'none' | 'header' | 'cookie';

function credentialHeaders(credentials: Credentials, sessionId: string): Record<string, string> {
  if (credentials === 'header') return { 'X-Auth-Token': sessionId };
  if (credentials === 'cookie') return { Cookie: `session_id=${sessionId}` };
  return {};
}

/** What salt-api's pages and envelopes say in the answers below. */
const NO_PERMISSION = 'No permission -- see authorization schemes';
const NOT_A_LIST = 'Lowstates must be a list';
const LENGTH_REQUIRED = 'Client must specify Content-Length';
const NOT_ALLOWED = 'Specified method is invalid for this resource';
const NOTHING_MATCHES = 'Nothing matches the given URI';
const HTML = 'text/html;charset=utf-8';
const LOWSTATE_ALLOW = 'GET, HEAD, POST';

interface Expected {
  status: number;
  allow?: string;
  contentType: string;
  /** The page's message, or the whole body for JSON. */
  message: string;
  cookie: boolean;
  cachePrivate?: boolean;
}

function expectAnswer(answer: RawAnswer, expected: Expected, what: string): void {
  expect(answer.status, what).toBe(expected.status);
  expect(header(answer, 'allow'), `${what}: Allow`).toBe(expected.allow);
  expect(header(answer, 'content-type'), `${what}: Content-Type`).toBe(expected.contentType);
  const message = expected.contentType === HTML ? pageMessage(answer.body) : answer.body;
  expect(message, `${what}: body`).toBe(expected.message);
  expect(answer.headers.has('set-cookie'), `${what}: Set-Cookie`).toBe(expected.cookie);
  expect(header(answer, 'cache-control') === 'private', `${what}: Cache-Control`).toBe(expected.cachePrivate ?? false);
  expect(header(answer, 'access-control-allow-origin'), `${what}: CORS`).toBe('*');
  expect(header(answer, 'access-control-expose-headers'), `${what}: CORS`).toBe('GET, POST');
}

const page = (status: number, message: string, rest: Partial<Expected> = {}): Expected => ({
  status,
  contentType: HTML,
  message,
  cookie: true,
  ...rest,
});

const api = apiForFile();

describe('a POST without a length', () => {
  /** salt-api's answer, by route and credentials (the session is a fresh login each time). */
  const cases: Array<[path: string, credentials: Credentials, expected: Expected]> = [];
  const gated = (path: string, allow: string, loggedIn: Expected): void => {
    cases.push([path, 'none', page(401, NO_PERMISSION, { allow })]);
    for (const credentials of ['header', 'cookie'] as const) cases.push([path, credentials, loggedIn]);
  };
  const open = (path: string, expected: Expected): void => {
    for (const credentials of ['none', 'header', 'cookie'] as const) cases.push([path, credentials, expected]);
  };
  const lowstateLoggedIn = page(400, NOT_A_LIST, { allow: LOWSTATE_ALLOW, cachePrivate: true });
  gated('/', LOWSTATE_ALLOW, lowstateLoggedIn);
  gated('/minions', LOWSTATE_ALLOW, lowstateLoggedIn);
  gated('/jobs', LOWSTATE_ALLOW, lowstateLoggedIn);
  gated('/logout', 'POST', {
    status: 200,
    allow: 'POST',
    contentType: 'application/json',
    message: '{"return": "Your token has been cleared"}',
    cookie: true,
    cachePrivate: true,
  });
  gated('/hook/deploy', 'POST', {
    status: 200,
    allow: 'POST',
    contentType: 'application/json',
    message: '{"success": true}',
    cookie: true,
    cachePrivate: true,
  });
  gated('/stats', 'GET, HEAD', page(405, NOT_ALLOWED, { allow: 'GET, HEAD', cachePrivate: true }));
  // **salt-apid:** salt-api fails on the missing credentials with its 500 envelope.
  open('/login', {
    status: 401,
    allow: LOWSTATE_ALLOW,
    contentType: 'application/json',
    message: '{"status": 401, "return": "Could not authenticate using provided credentials"}',
    cookie: true,
  });
  // **salt-apid:** salt-api fails on the missing lowstate with a 500 (envelope on /token, page on /keys).
  open('/token', page(400, NOT_A_LIST, { allow: LOWSTATE_ALLOW, cookie: false }));
  open('/keys', page(400, NOT_A_LIST, { allow: LOWSTATE_ALLOW, cookie: false }));
  open('/run', page(400, NOT_A_LIST, { allow: LOWSTATE_ALLOW, cookie: false }));
  // Not a lowstate resource: CherryPy wants the length before its 405.
  open('/events', page(411, LENGTH_REQUIRED, { allow: 'GET, HEAD' }));
  // **salt-apid:** salt-api's WebSocket tool fails on any method but GET with a 500.
  open('/ws', page(405, NOT_ALLOWED, { allow: 'GET, HEAD' }));

  it.each(cases)(
    'POST %s (credentials: %s) is answered as salt-api answers it',
    async (path, credentials, expected) => {
      const { token } = await login(api);
      const answer = await rawRequest(api, 'POST', path, credentialHeaders(credentials, token));
      expectAnswer(answer, expected, `POST ${path} [${credentials}]`);
    },
  );

  it('is a POST with an empty body on every lowstate resource, as hypermedia_in reads it', async () => {
    for (const path of ['/', '/login', '/token', '/run', '/minions', '/jobs', '/keys', '/stats', '/hook/x']) {
      for (const credentials of ['none', 'header'] as const) {
        const answers: RawAnswer[] = [];
        for (const length of [{}, { 'Content-Length': '0' }]) {
          const { token } = await login(api);
          answers.push(await rawRequest(api, 'POST', path, { ...credentialHeaders(credentials, token), ...length }));
        }
        const [without, empty] = answers as [RawAnswer, RawAnswer];
        const what = `POST ${path} [${credentials}]`;
        expect(without.status, what).toBe(empty.status);
        expect(header(without, 'content-type'), what).toBe(header(empty, 'content-type'));
        expect(without.body, what).toBe(empty.body);
        expect(without.headers.has('set-cookie'), what).toBe(empty.headers.has('set-cookie'));
      }
    }
  });

  it('/logout ends the session, whichever way the session id comes', async () => {
    for (const credentials of ['header', 'cookie'] as const) {
      const { token } = await login(api);
      const answer = await rawRequest(api, 'POST', '/logout', credentialHeaders(credentials, token));
      expect(answer.status).toBe(200);
      expect(header(answer, 'set-cookie')).toMatch(/^session_id=[0-9a-f]{40}; expires=[^;]+; Path=\//);
      expect(header(answer, 'set-cookie')).not.toContain('Max-Age');
      const stats = await api.call('/stats', { headers: { 'X-Auth-Token': token } });
      expect(stats.status, credentials).toBe(401);
    }
  });

  it('/hook/<path> fires its event with an empty body, also chunked or with auth off', async () => {
    const { token } = await login(api);
    const sse = await SseClient.open(api, '/events', { 'X-Auth-Token': token });
    await sse.waitFor('retry: 400\n');
    const fired = async (tag: string): Promise<Record<string, unknown>> => {
      await sse.waitFor(`tag: ${tag}\n`);
      const block = sse.text.slice(sse.text.indexOf(`tag: ${tag}\n`));
      const dataLine = block.split('\n')[1] ?? '';
      return (JSON.parse(dataLine.slice('data: '.length)) as { data: Record<string, unknown> }).data;
    };

    const bare = await rawRequest(api, 'POST', '/hook/deploy/bare', { 'X-Auth-Token': token });
    expect(bare.status).toBe(200);
    expect(bare.body).toBe('{"success": true}');
    const data = await fired('salt/netapi/hook/deploy/bare');
    expect(data['body']).toBe('');
    expect(data['post']).toEqual({});
    expect(Object.keys(data['headers'] as object)).not.toContain('Content-Length');

    // Chunked stays what it was: salt-api reads no body without a Content-Length.
    const chunked = await rawRequest(
      api,
      'POST',
      '/hook/deploy/chunked',
      { Cookie: `session_id=${token}`, 'Transfer-Encoding': 'chunked', 'Content-Type': 'application/json' },
      '7\r\n{"a": 1}\r\n0\r\n\r\n',
    );
    expect(chunked.status).toBe(200);
    const chunkedData = await fired('salt/netapi/hook/deploy/chunked');
    expect(chunkedData['body']).toBe('');
    expect(chunkedData['post']).toEqual({});
    sse.close();
  });

  it('/hook fires without credentials under webhook_disable_auth', async () => {
    const open = await startApi({ settings: { rest: { webhookDisableAuth: true } } });
    try {
      const { token } = await login(open);
      const sse = await SseClient.open(open, '/events', { 'X-Auth-Token': token });
      await sse.waitFor('retry: 400\n');
      const answer = await rawRequest(open, 'POST', '/hook/deploy');
      expect(answer.status).toBe(200);
      expect(answer.body).toBe('{"success": true}');
      await sse.waitFor('tag: salt/netapi/hook/deploy\n');
      sse.close();
    } finally {
      await open.close();
    }
  });
});

describe('other methods without a length', () => {
  const GATED: Array<[path: string, allow: string]> = [
    ['/minions', LOWSTATE_ALLOW],
    ['/jobs', LOWSTATE_ALLOW],
    ['/stats', 'GET, HEAD'],
    ['/logout', 'POST'],
    ['/hook/deploy', 'POST'],
  ];
  const OPEN: Array<[path: string, allow: string, cookie: boolean]> = [
    ['/', LOWSTATE_ALLOW, true],
    ['/login', LOWSTATE_ALLOW, true],
    // Only GET and POST turn the session tool off on /token.
    ['/token', LOWSTATE_ALLOW, true],
    ['/run', LOWSTATE_ALLOW, false],
    ['/keys', LOWSTATE_ALLOW, true],
  ];

  it('a gated resource asks for credentials first, then wants the length, then says 405', async () => {
    const { token } = await login(api);
    for (const [path, allow] of GATED) {
      for (const method of ['PUT', 'PATCH', 'DELETE']) {
        const what = `${method} ${path}`;
        expectAnswer(await rawRequest(api, method, path), page(401, NO_PERMISSION, { allow }), what);
        const loggedIn = await rawRequest(api, method, path, { 'X-Auth-Token': token });
        const expected =
          method === 'DELETE'
            ? page(405, NOT_ALLOWED, { allow, cachePrivate: true })
            : page(411, LENGTH_REQUIRED, { allow, cachePrivate: true });
        expectAnswer(loggedIn, expected, `${what} [logged in]`);
      }
    }
  });

  it('an open resource wants the length of a PUT or PATCH before its 405', async () => {
    for (const [path, allow, cookie] of OPEN) {
      for (const method of ['PUT', 'PATCH', 'DELETE']) {
        const expected =
          method === 'DELETE'
            ? page(405, NOT_ALLOWED, { allow, cookie })
            : page(411, LENGTH_REQUIRED, { allow, cookie });
        expectAnswer(await rawRequest(api, method, path), expected, `${method} ${path}`);
      }
    }
  });

  it('/events wants it of POST too; /ws says 405 to every method but GET', async () => {
    for (const method of ['POST', 'PUT', 'PATCH']) {
      const events = page(411, LENGTH_REQUIRED, { allow: 'GET, HEAD' });
      expectAnswer(await rawRequest(api, method, '/events'), events, `${method} /events`);
      expectAnswer(await rawRequest(api, method, '/events/x/y'), events, `${method} /events/x/y`);
    }
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const ws = page(405, NOT_ALLOWED, { allow: 'GET, HEAD' });
      expectAnswer(await rawRequest(api, method, '/ws'), ws, `${method} /ws`);
    }
  });

  it('an unknown path wants the length before its 404', async () => {
    for (const method of ['POST', 'PUT', 'PATCH']) {
      const answer = await rawRequest(api, method, '/nope/x');
      expect(answer.status, method).toBe(411);
      expect(answer.headers.has('allow')).toBe(false);
      expect(pageMessage(answer.body)).toBe(LENGTH_REQUIRED);
    }
    const get = await rawRequest(api, 'DELETE', '/nope/x');
    expect(get.status).toBe(404);
    expect(pageMessage(get.body)).toBe("The path '/nope/x' was not found.");
  });

  it('a declared length, even 0, is no 411', async () => {
    const answer = await rawRequest(api, 'PUT', '/', { 'Content-Length': '0' });
    expect(answer.status).toBe(405);
  });
});

describe('a path deeper than the resource takes', () => {
  it('is 404 "Nothing matches the given URI" after the resource\'s gate', async () => {
    const { token } = await login(api);
    for (const [method, path, allow] of [
      ['GET', '/minions/minion-1/extra', LOWSTATE_ALLOW],
      ['POST', '/minions/minion-1', LOWSTATE_ALLOW],
      ['GET', '/jobs/x/y/z', LOWSTATE_ALLOW],
      ['POST', '/jobs/x', LOWSTATE_ALLOW],
      ['GET', '/stats/x', 'GET, HEAD'],
      ['POST', '/logout/x', 'POST'],
    ] as const) {
      const what = `${method} ${path}`;
      expectAnswer(await rawRequest(api, method, path), page(401, NO_PERMISSION, { allow }), what);
      const loggedIn = await rawRequest(api, method, path, { 'X-Auth-Token': token });
      expectAnswer(loggedIn, page(404, NOTHING_MATCHES, { allow, cachePrivate: true }), `${what} [logged in]`);
    }
  });

  it('is 404 "Nothing matches the given URI" at once on open resources', async () => {
    for (const [method, path, allow, cookie] of [
      ['GET', '/keys/a/b', LOWSTATE_ALLOW, true],
      ['POST', '/keys/a', LOWSTATE_ALLOW, false],
      ['GET', '/login/x', LOWSTATE_ALLOW, true],
      ['POST', '/login/x', LOWSTATE_ALLOW, true],
      ['GET', '/run/x', LOWSTATE_ALLOW, false],
      ['POST', '/token/x', LOWSTATE_ALLOW, false],
      ['GET', '/events/x/y', 'GET, HEAD', true],
      ['GET', '/ws/x/y', 'GET, HEAD', true],
    ] as const) {
      expectAnswer(
        await rawRequest(api, method, path),
        page(404, NOTHING_MATCHES, { allow, cookie }),
        `${method} ${path}`,
      );
    }
  });

  it('keeps the 405 and 411 of the methods the resource lacks', async () => {
    const { token } = await login(api);
    const loggedIn = { 'X-Auth-Token': token };
    const allow = LOWSTATE_ALLOW;
    const refused = page(405, NOT_ALLOWED, { allow, cachePrivate: true });
    expectAnswer(await rawRequest(api, 'DELETE', '/minions/a/b', loggedIn), refused, 'DELETE /minions/a/b');
    const length = page(411, LENGTH_REQUIRED, { allow, cachePrivate: true });
    expectAnswer(await rawRequest(api, 'PUT', '/jobs/a/b/c', loggedIn), length, 'PUT /jobs/a/b/c');
  });

  it('is the same 404 for a path token on /events when events_url_tokens is off', async () => {
    const strict = await startApi({ settings: { rest: { eventsUrlTokens: false } } });
    try {
      const { token } = await login(strict);
      const answer = await rawRequest(strict, 'GET', `/events/${token}`);
      expect(answer.status).toBe(404);
      expect(pageMessage(answer.body)).toBe(NOTHING_MATCHES);
    } finally {
      await strict.close();
    }
  });

  it('takes any path under the hook, and no path under an unknown resource', async () => {
    const { token } = await login(api);
    const hook = await rawRequest(api, 'POST', '/hook/a/b/c', { 'X-Auth-Token': token });
    expect(hook.status).toBe(200);
    const unknown = await rawRequest(api, 'GET', '/nope/x');
    expect(pageMessage(unknown.body)).toBe("The path '/nope/x' was not found.");
  });
});
