import type { FastifyInstance } from 'fastify';
import { load } from 'js-yaml';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, type MasterGateway } from '../../src/http/app.js';
import { VERSION } from '../../src/version.js';
import { SessionStore } from '../../src/http/auth/sessions.js';
import { UNMATCHED_ROUTE } from '../../src/http/stats/stats-route.js';
import { login, startApi, waitUntil, type ApiUnderTest } from '../support/api.js';
import { testSettings, type SettingsOverrides } from '../support/settings.js';

/**
 * `/stats` (docs/routes.md "GET /stats"): CherryPy's two blocks with salt-apid's numbers, and its
 * own block.
 */
type Block = Record<string, unknown>;
interface StatsDoc {
  'CherryPy Applications': Block & { Requests: Record<string, Block>; 'Slow Queries'?: Block[] };
  'salt-apid': {
    requests: Record<string, unknown> & { total: number; inFlight: number; byStatus: Record<string, number> };
    connections: { open: number; accepted: number; bytesIn: number; bytesOut: number };
    routes: Record<string, { requests: number; completed: number; clientErrors: number; serverErrors: number }>;
    streams: { sse: number; ws: number; opened: number; droppedSlow: number };
    master: Record<string, unknown>;
    [key: string]: unknown;
  };
  [server: string]: unknown;
}

const SERVER_KEY = `Cheroot HTTPServer ${process.pid}`;
const SESSION_ID = 'ab'.repeat(20);

const APPLICATION_FIELDS = [
  'Enabled',
  'Bytes Read/Request',
  'Bytes Read/Second',
  'Bytes Written/Request',
  'Bytes Written/Second',
  'Current Time',
  'Current Requests',
  'Requests/Second',
  'Server Version',
  'Start Time',
  'Total Bytes Read',
  'Total Bytes Written',
  'Total Requests',
  'Total Time',
  'Uptime',
  'Requests',
];
const SERVER_FIELDS = [
  'Enabled',
  'Bind Address',
  'Run time',
  'Accepts',
  'Accepts/sec',
  'Queue',
  'Threads',
  'Threads Idle',
  'Socket Errors',
  'Requests',
  'Bytes Read',
  'Bytes Written',
  'Work Time',
  'Read Throughput',
  'Write Throughput',
  'Worker Threads',
];
const RECORD_FIELDS = [
  'Bytes Read',
  'Bytes Written',
  'Client',
  'End Time',
  'Processing Time',
  'Request-Line',
  'Response Status',
  'Start Time',
];

const apps: FastifyInstance[] = [];
const apis: ApiUnderTest[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  for (const api of apis.splice(0)) await api.close();
});

/**
 * The app with a stand-in master that knows one Salt token, and one logged-in session
 * (SESSION_ID) holding it; `expiresIn` seconds from now (negative: already expired).
 */
async function makeApp(rest: SettingsOverrides['rest'] = {}, expiresIn = 3600): Promise<FastifyInstance> {
  const sessions = new SessionStore();
  const now = Date.now() / 1000;
  const record = { token: 'f'.repeat(64), name: 'saltdev', eauth: 'pam', start: now - 10, expire: now + expiresIn };
  sessions.save(SESSION_ID, record);
  const master: MasterGateway = {
    available: true,
    commands: { mkToken: async () => null, getToken: async (token) => (token === record.token ? record : null) },
  };
  const app = await buildApp({ settings: testSettings({ rest }), logger: pino({ level: 'silent' }), sessions, master });
  apps.push(app);
  return app;
}

async function stats(app: FastifyInstance): Promise<StatsDoc> {
  const response = await app.inject({ method: 'GET', url: '/stats', headers: { 'X-Auth-Token': SESSION_ID } });
  expect(response.statusCode).toBe(200);
  return JSON.parse(response.body) as StatsDoc;
}

describe('GET /stats', () => {
  it("answers CherryPy's two blocks with their fields, and salt-apid's own", async () => {
    const app = await makeApp();
    const response = await app.inject({ method: 'GET', url: '/stats', headers: { 'X-Auth-Token': SESSION_ID } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers.allow).toBe('GET, HEAD');
    expect(response.headers['cache-control']).toBe('private');
    expect(response.headers['set-cookie']).toMatch(new RegExp(`^session_id=${SESSION_ID}; `));
    const doc = JSON.parse(response.body) as StatsDoc;
    expect(Object.keys(doc)).toEqual(['CherryPy Applications', SERVER_KEY, 'salt-apid']);
    expect(Object.keys(doc['CherryPy Applications'])).toEqual(APPLICATION_FIELDS);
    expect(doc['CherryPy Applications']['Server Version']).toBe(`salt-apid/${VERSION}`);
    expect(Object.keys(doc[SERVER_KEY] as Block)).toEqual(SERVER_FIELDS);
    expect((doc[SERVER_KEY] as Block)['Threads']).toBe(100);
    const own = doc['salt-apid'];
    expect(Object.keys(own)).toEqual([
      'version',
      'startTime',
      'uptime',
      'collectStats',
      'requests',
      'connections',
      'routes',
      'streams',
      'sessions',
      'slowQueries',
      'master',
    ]);
    expect(own.streams).toEqual({ sse: 0, ws: 0, opened: 0, droppedSlow: 0 });
    expect(own.master).toEqual({ available: true });
    expect(own['sessions']).toBe(1);
    // The /stats request itself is in flight while the report is made.
    expect(own.requests.inFlight).toBe(1);
  });

  it('counts requests per route template, never per URL', async () => {
    const app = await makeApp();
    await app.inject({ method: 'GET', url: '/' });
    await app.inject({ method: 'GET', url: '/?x=1' });
    await app.inject({ method: 'GET', url: '/jobs/20260101000000000000' });
    await app.inject({ method: 'GET', url: '/events/secret-token-in-path' });
    await app.inject({ method: 'GET', url: '/no/such/thing' });
    await app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, payload: '[{}]' });
    const own = (await stats(app))['salt-apid'];
    expect(own.routes['/']).toEqual({
      requests: 3,
      completed: 3,
      clientErrors: 2,
      serverErrors: 0,
      averageTime: expect.any(Number),
    });
    expect(own.routes['/jobs/:jid']).toMatchObject({ requests: 1, completed: 1, clientErrors: 1 });
    expect(own.routes['/events/:token']).toMatchObject({ requests: 1, completed: 1 });
    expect(own.routes[UNMATCHED_ROUTE]).toMatchObject({ requests: 1, clientErrors: 1 });
    expect(own.routes['/stats']).toMatchObject({ requests: 1, completed: 0 });
    expect(JSON.stringify(own)).not.toMatch(/secret-token|20260101|no\/such/);
    expect(own.requests.total).toBe(7);
    expect(own.requests.byStatus['2xx']).toBe(1);
    expect(own.requests.byStatus['4xx']).toBe(5);
    expect(own.requests['bodyBytesIn']).toBe(4);
    expect(own.requests['bodyBytesOut']).toBeGreaterThan(100);
  });

  it('without collect_stats keeps the CherryPy blocks at zero while its own block is live', async () => {
    const app = await makeApp({ collectStats: false });
    await app.inject({ method: 'GET', url: '/' });
    const doc = await stats(app);
    const application = doc['CherryPy Applications'];
    expect(application).toMatchObject({
      Enabled: true,
      'Total Requests': 0,
      'Total Bytes Read': 0,
      'Total Bytes Written': 0,
      'Total Time': 0,
      'Current Requests': 0,
      'Requests/Second': 0,
      Requests: {},
    });
    expect(application['Slow Queries']).toBeUndefined();
    expect(doc[SERVER_KEY]).toMatchObject({
      Enabled: false,
      'Run time': -1,
      Requests: -1,
      'Bytes Read': -1,
      'Threads Idle': 99,
    });
    expect(doc['salt-apid']['collectStats']).toBe(false);
    expect(doc['salt-apid'].requests.total).toBe(2);
    expect(doc['salt-apid'].routes['/']).toMatchObject({ requests: 1, completed: 1 });
  });

  it("with collect_stats fills CherryPy's counters and request records (route templates in Request-Line)", async () => {
    const app = await makeApp({ collectStats: true });
    await app.inject({ method: 'GET', url: '/' });
    await app.inject({ method: 'GET', url: '/jobs/20260101000000000000' });
    const doc = await stats(app);
    const application = doc['CherryPy Applications'];
    expect(application['Total Requests']).toBe(3);
    expect(application['Current Requests']).toBe(1);
    expect(application['Total Bytes Written']).toBeGreaterThan(100);
    const records = Object.values(application.Requests);
    expect(records).toHaveLength(2);
    for (const record of records) expect(Object.keys(record)).toEqual(RECORD_FIELDS);
    expect(records.map((r) => r['Request-Line'])).toEqual(['GET / HTTP/1.1', 'GET /jobs/:jid HTTP/1.1']);
    expect(records.map((r) => r['Response Status'])).toEqual(['200 OK', '401 Unauthorized']);
    expect(doc[SERVER_KEY]).toMatchObject({ Enabled: true, Requests: 3 });
  });

  it('refuses a session whose Salt token has expired, like every protected route', async () => {
    const app = await makeApp({}, -1);
    const response = await app.inject({ method: 'GET', url: '/stats', headers: { 'X-Auth-Token': SESSION_ID } });
    expect(response.statusCode).toBe(401);
    expect(response.headers['set-cookie']).not.toContain(SESSION_ID);
    expect(app.sessions.size).toBe(0);
  });

  it('needs a session with a live Salt token unless stats_disable_auth', async () => {
    const gated = await makeApp();
    const refused = await gated.inject({ method: 'GET', url: '/stats' });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers.allow).toBe('GET, HEAD');
    expect(refused.headers['set-cookie']).toMatch(/^session_id=[0-9a-f]{40}; /);
    const unknown = await gated.inject({ method: 'GET', url: '/stats', headers: { 'X-Auth-Token': 'cd'.repeat(20) } });
    expect(unknown.statusCode).toBe(401);
    const byCookie = await gated.inject({
      method: 'GET',
      url: '/stats',
      headers: { Cookie: `session_id=${SESSION_ID}` },
    });
    expect(byCookie.statusCode).toBe(200);

    const open = await makeApp({ statsDisableAuth: true });
    const answered = await open.inject({ method: 'GET', url: '/stats' });
    expect(answered.statusCode).toBe(200);
    expect(answered.headers['set-cookie']).toMatch(/^session_id=/);
  });

  it('answers YAML when asked, HEAD without a body, 405 to other methods and 404 to query parameters', async () => {
    const app = await makeApp();
    const headers = { 'X-Auth-Token': SESSION_ID };
    const yaml = await app.inject({
      method: 'GET',
      url: '/stats',
      headers: { ...headers, Accept: 'application/x-yaml' },
    });
    expect(yaml.statusCode).toBe(200);
    expect(yaml.headers['content-type']).toBe('application/x-yaml');
    const parsed = load(yaml.body) as StatsDoc;
    expect(Object.keys(parsed).sort()).toEqual(['CherryPy Applications', SERVER_KEY, 'salt-apid'].sort());
    expect(parsed['CherryPy Applications']['Enabled']).toBe(true);

    const notAcceptable = await app.inject({
      method: 'GET',
      url: '/stats',
      headers: { ...headers, Accept: 'text/plain' },
    });
    expect(notAcceptable.statusCode).toBe(406);

    const head = await app.inject({ method: 'HEAD', url: '/stats', headers });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-type']).toBe('application/json');

    const post = await app.inject({ method: 'POST', url: '/stats', headers: { ...headers, 'content-length': '0' } });
    expect(post.statusCode).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');

    const query = await app.inject({ method: 'GET', url: '/stats?x=1', headers });
    expect(query.statusCode).toBe(404);
  });
});

describe('GET /stats on the real server', () => {
  it('reports connections, bytes, open streams and the master channel and bus', async () => {
    const api = await startApi({ settings: { rest: { collectStats: true } } });
    apis.push(api);
    const { token } = await login(api);
    const auth = { 'X-Auth-Token': token };
    const controller = new AbortController();
    const stream = await fetch(`${api.url}/events`, { headers: auth, signal: controller.signal });
    expect(stream.status).toBe(200);
    await waitUntil(() => api.server.app.streams.stats().sse === 1);

    const response = await api.call('/stats', { headers: auth });
    expect(response.status).toBe(200);
    const doc = (await response.json()) as StatsDoc;
    const own = doc['salt-apid'];
    expect(own.streams).toMatchObject({ sse: 1, opened: 1 });
    expect(own.routes['/events']).toMatchObject({ requests: 1, completed: 0 });
    // The stream and /stats itself are in flight.
    expect(own.requests.inFlight).toBe(2);
    expect(own.connections.open).toBeGreaterThanOrEqual(2);
    expect(own.connections.bytesIn).toBeGreaterThan(0);
    expect(own.connections.bytesOut).toBeGreaterThan(0);
    expect(own.master).toMatchObject({
      available: true,
      request: { requests: expect.any(Number) },
      bus: { state: expect.any(String) },
    });
    const server = doc[SERVER_KEY] as Block;
    expect(server['Bind Address']).toEqual(['127.0.0.1', Number(new URL(api.url).port)]);
    expect(server['Accepts']).toBeGreaterThanOrEqual(2);

    controller.abort();
    await waitUntil(() => api.server.app.streams.stats().sse === 0);
    await waitUntil(
      () => (api.server.app.serverStats.report() as unknown as StatsDoc)['salt-apid'].requests.inFlight === 0,
    );
    const after = (await (await api.call('/stats', { headers: auth })).json()) as StatsDoc;
    expect(after['salt-apid'].requests.inFlight).toBe(1);
    expect(after['salt-apid'].streams).toMatchObject({ sse: 0, opened: 1 });
  });
});
