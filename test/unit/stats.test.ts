import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MasterGateway } from '../../src/http/app.js';
import { SessionStore } from '../../src/http/auth/sessions.js';
import type { StatsOptions } from '../../src/http/stats/stats.js';
import { REDACTED_CLIENT } from '../../src/http/stats/stats-report.js';
import { statsPlugin } from '../../src/http/stats/stats-plugin.js';
import { StreamRegistry } from '../../src/http/streams/streams.js';
import { testSettings } from '../support/settings.js';

/** The collector of src/http/stats*.ts on a bare Fastify instance with only what it reads. */
interface Report {
  'CherryPy Applications': {
    Requests: Record<string, { 'Request-Line': string }>;
    'Slow Queries'?: Array<{ 'Request-Line': string }>;
  };
  'salt-apid': {
    requests: { total: number; inFlight: number; completed: number; slow: number };
    routes: Record<string, { requests: number; completed: number }>;
    slowQueries: Array<{ route: string; status: number; time: number }>;
    master: Record<string, unknown>;
  };
}

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

/**
 * `/took/:ms` took `ms` milliseconds: the collector is told so (its elapsedMs option) instead of
 * timing a sleep, so that a busy machine does not turn a quick request into a slow query.
 */
const tookMs = (reply: FastifyReply): number => Number((reply.request.params as { ms?: string }).ms ?? 0);

/** Ends the open `/stream` response. */
let endStream: (() => void) | undefined;

async function collectingApp(options: Partial<StatsOptions>, collectStats = true): Promise<FastifyInstance> {
  const app = Fastify();
  apps.push(app);
  const master: MasterGateway = {
    available: true,
    commands: { mkToken: () => Promise.resolve(null), getToken: () => Promise.resolve(null) },
  };
  app.decorate('settings', testSettings({ rest: { collectStats } }));
  app.decorate('master', master);
  app.decorate('sessions', new SessionStore());
  app.decorate('streams', new StreamRegistry());
  await app.register(statsPlugin, { serverVersion: 'test', elapsedMs: tookMs, ...options });
  app.get('/took/:ms', async () => 'ok');
  app.get('/stream', (_request, reply) => {
    reply.hijack();
    reply.raw.writeHead(200);
    endStream = () => reply.raw.end('done');
  });
  await app.ready();
  return app;
}

const report = (app: FastifyInstance): Report => app.serverStats.report() as unknown as Report;

describe('ServerStats', () => {
  it('keeps the last slow queries, by route template, and the last requests in a ring', async () => {
    const app = await collectingApp({ slowQueryMs: 30, slowQueryLimit: 2, recentRequests: 3 });
    for (const ms of [0, 40, 0, 40, 40, 0, 0]) await app.inject({ method: 'GET', url: `/took/${ms}` });
    const { 'salt-apid': own, 'CherryPy Applications': application } = report(app);
    expect(own.requests).toMatchObject({ total: 7, completed: 7, inFlight: 0, slow: 3 });
    expect(own.slowQueries).toHaveLength(2);
    expect(own.slowQueries.map((q) => [q.route, q.status])).toEqual([
      ['/took/:ms', 200],
      ['/took/:ms', 200],
    ]);
    for (const query of own.slowQueries) expect(query.time).toBeGreaterThan(0.03);
    expect(application['Slow Queries']).toHaveLength(2);
    expect(Object.keys(application.Requests)).toEqual(['5', '6', '7']);
    expect(application.Requests['7']?.['Request-Line']).toBe('GET /took/:ms HTTP/1.1');
  });

  it('keeps no request records without collect_stats, but still its own slow queries', async () => {
    const app = await collectingApp({ slowQueryMs: 30 }, false);
    await app.inject({ method: 'GET', url: '/took/40' });
    const { 'salt-apid': own, 'CherryPy Applications': application } = report(app);
    expect(application.Requests).toEqual({});
    expect(application['Slow Queries']).toBeUndefined();
    expect(own.slowQueries).toHaveLength(1);
  });

  it("shows a request record's client address only to that client; other readers see it redacted", async () => {
    const app = await collectingApp({ slowQueryMs: 30, recentRequests: 4 });
    await app.inject({ method: 'GET', url: '/took/40', remoteAddress: '10.1.2.3' });
    await app.inject({ method: 'GET', url: '/took/0', remoteAddress: '10.1.2.3' });
    const clientsSeenBy = (viewer: string | undefined): unknown[] => {
      const doc = app.serverStats.report(viewer) as unknown as {
        'CherryPy Applications': {
          Requests: Record<string, { Client: string }>;
          'Slow Queries': Array<{ Client: string }>;
        };
        'salt-apid': { slowQueries: Array<{ client: string }> };
      };
      const application = doc['CherryPy Applications'];
      return [
        ...Object.values(application.Requests).map((r) => r.Client),
        ...application['Slow Queries'].map((r) => r.Client),
        ...doc['salt-apid'].slowQueries.map((q) => q.client),
      ];
    };
    const byOthers = clientsSeenBy('10.9.9.9');
    expect(byOthers).toHaveLength(4);
    for (const client of [...byOthers, ...clientsSeenBy(undefined)]) expect(client).toBe(REDACTED_CLIENT);
    for (const client of clientsSeenBy('10.1.2.3')) expect(client).toMatch(/^10\.1\.2\.3:\d+$/);
  });

  it('counts a hijacked reply when it starts and keeps it in flight until its response closes', async () => {
    const app = await collectingApp({});
    endStream = undefined as (() => void) | undefined; // (declared type: set again by the route)
    const pending = app.inject({ method: 'GET', url: '/stream' });
    await vi.waitFor(() => expect(endStream).toBeDefined(), { timeout: 10_000, interval: 5 });
    const during = report(app)['salt-apid'];
    expect(during.requests.inFlight).toBe(1);
    expect(during.routes['/stream']).toMatchObject({ requests: 1, completed: 0 });
    endStream?.();
    expect((await pending).body).toBe('done');
    await vi.waitFor(() => expect(report(app)['salt-apid'].routes['/stream']?.completed).toBe(1), {
      timeout: 10_000,
      interval: 5,
    });
    const after = report(app)['salt-apid'];
    expect(after.routes['/stream']).toMatchObject({ requests: 1, completed: 1 });
    expect(after.requests.inFlight).toBe(0);
  });

  it("adds the master provider's figures to its reachability", async () => {
    const app = await collectingApp({ masterStats: () => ({ bus: { state: 'connected' } }) });
    expect(report(app)['salt-apid'].master).toEqual({ available: true, bus: { state: 'connected' } });
  });
});
