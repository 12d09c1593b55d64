import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NETAPI_CLIENTS } from '../../src/salt/clients/netapi.js';
import { apiForFile, login, SALTDEV, startApiWithoutMaster } from '../support/api.js';
import { fuzzRuns, fuzzTimeout, hostileBytes, hostileForm, hostileText, jsonish, nastyKey } from '../support/fuzz.js';

/**
 * Every route that reads a body, driven through the real application and the demo master with
 * generated lowstate, hostile bodies and random headers: no answer is a 5xx salt-apid did not
 * mean (501 for salt-ssh, 504 for a runner past its timeout), every answer comes quickly, and
 * memory stays put.
 */
/** `npm test`'s share for each route; `npm run fuzz` runs more, from other seeds. */
const RUNS = 200;
const PER_REQUEST_MS = 5_000;
const SEED = 20261125;

const api = apiForFile({ settings: { rest: { webhookDisableAuth: false } } });
let session = '';

beforeAll(async () => {
  session = (await login(api)).token;
});

const KNOWN_RUNNERS = ['manage.status', 'manage.up', 'jobs.list_jobs', 'jobs.lookup_jid', 'test.arg', 'test.get_opts'];
const FUNCTION_NAME = /^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$/;

const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 40,
});
const anyValue = fc.oneof(jsonish, nastyKey, fc.constantFrom(1e308, -1, 0, 12345678901234567000, '', '*'));

const chunk = fc
  .record(
    {
      client: fc.oneof(fc.constantFrom(...NETAPI_CLIENTS), anyValue),
      fun: fc.oneof(
        fc.constantFrom('test.ping', 'test.arg', 'key.list_all', 'key.finger', ...KNOWN_RUNNERS, 'nope', '', 'key.'),
        anyValue,
      ),
      tgt: fc.oneof(fc.constantFrom('*', 'minion-1', 'minion-[12]', 'nomatch', 'G@os:Debian'), anyValue),
      tgt_type: fc.oneof(fc.constantFrom('glob', 'list', 'compound', 'pcre', 'grain'), anyValue),
      arg: anyValue,
      kwarg: anyValue,
      timeout: fc.oneof(fc.constantFrom(0.2, 1, '1', 'x', -1), anyValue),
      batch: fc.oneof(fc.constantFrom('1', '50%', 2), anyValue),
      sub: anyValue,
      match: anyValue,
      mid: anyValue,
      full_return: anyValue,
      token: fc.oneof(fc.constantFrom('deadbeef', 'zz'), anyValue),
      username: fc.constantFrom(SALTDEV.username, 'nobody'),
      password: fc.constantFrom(SALTDEV.password),
      eauth: fc.oneof(fc.constant(SALTDEV.eauth), anyValue),
    },
    { requiredKeys: [] },
  )
  // A runner name the catalogue does not know makes salt-apid wait for the runner to start (10 s).
  .map((c) =>
    typeof c.client === 'string' &&
    c.client.startsWith('runner') &&
    typeof c.fun === 'string' &&
    FUNCTION_NAME.test(c.fun) &&
    !KNOWN_RUNNERS.includes(c.fun)
      ? { ...c, fun: 'manage.status' }
      : c,
  );

const jsonBody = fc
  .oneof(chunk, fc.array(chunk, { maxLength: 3 }), anyValue)
  .map((body) => JSON.stringify(body) ?? 'null');

interface Body {
  contentType: string;
  payload: string | Buffer;
}

const body: fc.Arbitrary<Body> = fc.oneof(
  { arbitrary: jsonBody.map((payload) => ({ contentType: 'application/json', payload })), weight: 4 },
  { arbitrary: jsonBody.map((payload) => ({ contentType: 'text/plain;charset=UTF-8', payload })), weight: 1 },
  { arbitrary: hostileText.map((payload) => ({ contentType: 'application/x-yaml', payload })), weight: 2 },
  { arbitrary: hostileText.map((payload) => ({ contentType: 'application/json', payload })), weight: 1 },
  {
    arbitrary: hostileForm.map((payload) => ({ contentType: 'application/x-www-form-urlencoded', payload })),
    weight: 2,
  },
  {
    arbitrary: fc.tuple(printable, hostileBytes).map(([contentType, payload]) => ({ contentType, payload })),
    weight: 1,
  },
);

const headers = fc.record(
  {
    accept: fc.oneof(
      fc.constantFrom(
        'application/json',
        'application/x-yaml',
        'text/yaml',
        '*/*',
        'text/html',
        'application/json;q=0',
        '',
      ),
      printable,
    ),
    'x-auth-token': fc.oneof(
      fc.constant('SESSION'),
      fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), maxLength: 64 }),
      printable,
    ),
    cookie: fc.oneof(
      fc.constant('session_id=SESSION'),
      printable.map((v) => `session_id=${v}`),
      printable,
    ),
    origin: fc.oneof(fc.constantFrom('https://evil.example', 'null'), printable),
  },
  { requiredKeys: [] },
);

const hookPath = fc
  .array(fc.oneof(printable, fc.constantFrom('..', '.', '%2e%2e', '%00', '%ff', '%', '__proto__', 'a%2Fb', '')), {
    maxLength: 6,
  })
  .map((segments) => `/hook/${segments.map((s) => s.replace(/[?#\s]/g, '_')).join('/')}`);

/** The deliberate 5xx: salt-ssh is not installed (501), a runner outlived its `timeout` (504). */
function deliberate(status: number, text: string): boolean {
  if (status === 501) return /ssh/i.test(text);
  if (status === 504) return text.includes('The gateway server did not receive a timely response');
  return false;
}

async function send(url: string, request: Body, requestHeaders: Record<string, string>): Promise<void> {
  const withSession = Object.fromEntries(
    Object.entries(requestHeaders).map(([name, value]) => [name, value.replace('SESSION', session)]),
  );
  const start = performance.now();
  const response = await api.server.app.inject({
    method: 'POST',
    url,
    payload: request.payload,
    headers: { ...withSession, 'content-type': request.contentType },
  });
  const ms = performance.now() - start;
  const detail = `${url} ${request.contentType} ${response.statusCode} ${response.body.slice(0, 300)}`;
  expect(response.statusCode < 500 || deliberate(response.statusCode, response.body), detail).toBe(true);
  expect(ms, detail).toBeLessThan(PER_REQUEST_MS);
}

function fuzzRoute(url: fc.Arbitrary<string>, bodies: fc.Arbitrary<Body> = body): Promise<void> {
  return fc.assert(
    fc.asyncProperty(url, bodies, headers, async (path, request, requestHeaders) =>
      send(path, request, requestHeaders),
    ),
    fuzzRuns(SEED, RUNS),
  );
}

describe('routes under fuzzing (demo master up)', () => {
  let rssBefore = 0;
  beforeAll(() => {
    rssBefore = process.memoryUsage().rss;
  });
  afterAll(() => {
    // Generous: the demo master runs in this process too, and its job cache grows with every job: 400 MB
    // for up to 1,000 runs a route, and as much again for each 1,000 more (`npm run fuzz` runs more).
    const allowance = Math.max(1, fuzzRuns(SEED, RUNS).numRuns / 1_000);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(allowance * 400 * 1024 * 1024);
  });

  it.each(['/', '/run', '/login', '/token', '/minions', '/jobs'])(
    'POST %s',
    async (route) => {
      await fuzzRoute(fc.constant(route));
    },
    fuzzTimeout(60_000),
  );

  it(
    'POST /keys (rarely with credentials: each accepted request generates an RSA key)',
    async () => {
      const keyBodies = body.map((request) =>
        typeof request.payload === 'string'
          ? { ...request, payload: request.payload.replace(/saltdev/g, 'keyless') }
          : request,
      );
      await fuzzRoute(fc.constant('/keys'), keyBodies);
    },
    fuzzTimeout(60_000),
  );

  it(
    'POST /hook/<random path>',
    async () => {
      await fuzzRoute(hookPath);
    },
    fuzzTimeout(60_000),
  );
});

describe('routes with the master down', () => {
  it(
    'answer 503 at most',
    async () => {
      const down = await startApiWithoutMaster();
      try {
        await fc.assert(
          fc.asyncProperty(
            fc.constantFrom('/', '/run', '/login', '/token', '/minions', '/jobs', '/keys', '/hook/x'),
            body,
            headers,
            async (url, request, h) => {
              const response = await down.server.app.inject({
                method: 'POST',
                url,
                payload: request.payload,
                headers: { ...h, 'content-type': request.contentType },
              });
              expect(
                response.statusCode < 500 || response.statusCode === 503,
                `${url} ${response.statusCode} ${response.body.slice(0, 200)}`,
              ).toBe(true);
            },
          ),
          fuzzRuns(SEED, 300),
        );
      } finally {
        await down.close();
      }
    },
    fuzzTimeout(60_000),
  );
});
