import { createHmac } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/config/secret.js';
import { DemoMaster } from '../../src/demo/demo-master.js';
import { apiPerTest, login } from '../support/api.js';
import { getMany } from '../support/net.js';
import { SseClient } from '../support/sse.js';
import { pollUntil } from '../support/poll.js';
import { tempDirsPerTest } from '../support/temp-dirs.js';
import { webhookRule } from '../support/webhook-rule.js';

/** /healthz, /readyz and /metrics over the real server and the demo master. */

const start = apiPerTest();
const tempDir = tempDirsPerTest('metrics-token-');

/** The sample lines of one metric family. */
function samples(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

describe('/healthz and /readyz', () => {
  it('is healthy while serving, ready while the master answers, 503 with the reason once it is gone', async () => {
    const api = await start();
    const health = await api.call('/healthz');
    expect([health.status, await health.text()]).toEqual([200, '{"status": "ok"}']);
    const ready = await api.call('/readyz');
    expect([ready.status, await ready.text()]).toEqual([200, '{"status": "ready"}']);
    await api.demo.stop();
    let last = await pollUntil(
      () => api.call('/readyz'),
      (answer) => answer.status === 503,
    );
    expect(last.status).toBe(503);
    expect(await last.json()).toEqual({ status: 'not ready', reason: "the master's event bus is not connected" });
    expect((await api.call('/healthz')).status).toBe(200);
    // The master comes back on the same sockets and port: salt-apid reconnects and is ready again.
    const again = await DemoMaster.start({ sockDir: api.demo.sockDir, retPort: api.demo.retPort, returnDelayMs: 1 });
    try {
      last = await pollUntil(
        () => api.call('/readyz'),
        (answer) => answer.status === 200,
      );
      expect([last.status, await last.json()]).toEqual([200, { status: 'ready' }]);
    } finally {
      await again.stop();
    }
  });

  it('is 503 while the bus alone is dropped, and ready with events flowing once it is back', async () => {
    const api = await start();
    const { token } = await login(api);
    const readiness = async (): Promise<number> => (await api.call('/readyz')).status;
    const until = async (status: number): Promise<void> => {
      await pollUntil(readiness, (seen) => seen === status);
    };
    await api.demo.dropBus();
    await until(503);
    const down = await api.call('/readyz');
    expect([down.status, await down.json()]).toEqual([
      503,
      { status: 'not ready', reason: "the master's event bus is not connected" },
    ]);
    // salt-api's "is the master running" test is its event bus: without it, 503 even for wheel calls.
    const keys = (): Promise<Response> =>
      api.call('/keys', { headers: { 'X-Auth-Token': token, Accept: 'application/json' } });
    expect((await keys()).status).toBe(503);
    await api.demo.resumeBus();
    await until(200);
    expect(await readiness()).toBe(200);
    expect((await keys()).status).toBe(200);
    const sse = await SseClient.open(api, '/events', { 'X-Auth-Token': token });
    try {
      api.demo.fireEvent('soak/after-bus-drop', { n: 1 });
      await sse.waitFor('soak/after-bus-drop');
    } finally {
      sse.close();
    }
  });

  it('needs no credentials and refuses other methods', async () => {
    const api = await start();
    const post = await api.call('/readyz', {
      method: 'POST',
      body: '{}',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe("streams share the master's word on a token", () => {
  it('opens 200 /events streams of one session with at most one get_token round trip', async () => {
    const api = await start({
      settings: { rest: { metricsDisableAuth: true, maxStreamsPerSession: 0, maxStreamsPerUser: 0 } },
    });
    const { token } = await login(api);
    const opened = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const controller = new AbortController();
        const res = await api.call('/events', { headers: { 'X-Auth-Token': token }, signal: controller.signal });
        return { status: res.status, close: () => controller.abort() };
      }),
    );
    expect(opened.every((stream) => stream.status === 200)).toBe(true);
    for (const stream of opened) stream.close();
    const text = await (await api.call('/metrics')).text();
    const getToken = samples(text, 'saltapid_master_requests_total').filter((line) =>
      line.includes('command="get_token"'),
    );
    const asked = getToken.reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    // The login's own token needs no round trip at all; one at most if its confirmation lapsed.
    expect(asked).toBeLessThanOrEqual(1);
    // The first stream started the streams' reader, and every stream got its 200 once it read the bus.
    expect(samples(text, 'saltapid_event_streams_reader_started')).toEqual(['saltapid_event_streams_reader_started 1']);
    expect(samples(text, 'saltapid_event_streams_reader_connected')).toEqual([
      'saltapid_event_streams_reader_connected 1',
    ]);
  });
});

describe('/metrics', () => {
  it('wants a session or token unless metrics_disable_auth', async () => {
    const api = await start();
    expect((await api.call('/metrics')).status).toBe(401);
    const { token } = await login(api);
    const res = await api.call('/metrics', { headers: { 'X-Auth-Token': token } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const open = await start({ settings: { rest: { metricsDisableAuth: true, metricsPath: '/internal/metrics' } } });
    expect((await open.call('/internal/metrics')).status).toBe(200);
    expect((await open.call('/metrics')).status).toBe(404);
    const off = await start({ settings: { rest: { metrics: false, metricsDisableAuth: true } } });
    expect((await off.call('/metrics')).status).toBe(404);
  });

  it("takes metrics_token_file's token as Authorization: Bearer, as Prometheus sends it, and a session still", async () => {
    const file = join(await tempDir(), 'token');
    const scrapeToken = 'prometheus-scrape-token-0123456789';
    await writeFile(file, `${scrapeToken}\n`, { mode: 0o600 });
    const api = await start({ settings: { rest: { metricsTokenFile: file } } });
    const bearer = (token: string) => api.call('/metrics', { headers: { Authorization: `Bearer ${token}` } });
    const ok = await bearer(scrapeToken);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('saltapid_http_requests_total');
    expect((await bearer(`${scrapeToken}x`)).status).toBe(401);
    expect((await bearer('short')).status).toBe(401);
    expect((await api.call('/metrics', { headers: { Authorization: `Basic ${scrapeToken}` } })).status).toBe(401);
    expect((await api.call('/metrics')).status).toBe(401);
    const { token } = await login(api);
    expect((await api.call('/metrics', { headers: { 'X-Auth-Token': token } })).status).toBe(200);
    // Not a key to the rest of the API.
    expect((await api.call('/minions', { headers: { Authorization: `Bearer ${scrapeToken}` } })).status).toBe(401);
  });

  it('counts requests, master round trips, the bus, sessions and webhooks with bounded labels', async () => {
    const secret = 'metrics-webhook-secret';
    const api = await start({
      settings: {
        rest: {
          metricsDisableAuth: true,
          webhooks: [webhookRule('gh/*', 'github', { secret: new Secret(secret) })],
        },
      },
    });
    const { token } = await login(api);
    await api.call('/', {
      method: 'POST',
      headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' },
      body: '[{"client": "local", "tgt": "*", "fun": "test.ping"}]',
    });
    const body = '{"a": 1}';
    const signature = createHmac('sha256', secret).update(body).digest('hex');
    const hook = (sig: string) =>
      api.call('/hook/gh/push', {
        method: 'POST',
        body,
        headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': `sha256=${sig}` },
      });
    expect((await hook(signature)).status).toBe(200);
    expect((await hook('0'.repeat(64))).status).toBe(401);
    const plain = await api.call('/hook/ci/build', {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/json', 'X-Auth-Token': token },
    });
    expect(plain.status).toBe(200);
    // 10,000 distinct paths nobody registered, some with a token in them.
    const strays = await getMany(
      api.url,
      Array.from({ length: 10_000 }, (_, i) => `/no/such/path/${i}?token=${token}`),
    );
    expect(new Set(strays)).toEqual(new Set([404]));
    const text = await (await api.call('/metrics')).text();
    expect(text).not.toContain(token);
    expect(text).not.toContain('/no/such/path');
    const http = samples(text, 'saltapid_http_requests_total');
    expect(http.length).toBeLessThan(30);
    expect(http).toContainEqual(
      expect.stringMatching(/^saltapid_http_requests_total\{route="unmatched",method="GET",status="404"\} 10000$/),
    );
    expect(http).toContainEqual(expect.stringMatching(/route="\/login",method="POST",status="200"/));
    expect(samples(text, 'saltapid_master_requests_total')).toContainEqual(
      expect.stringMatching(/command="mk_token",outcome="ok"\} [1-9]/),
    );
    expect(samples(text, 'saltapid_master_requests_total')).toContainEqual(
      expect.stringMatching(/command="publish",outcome="ok"/),
    );
    expect(samples(text, 'saltapid_event_bus_connected')).toEqual(['saltapid_event_bus_connected 1']);
    // No stream so far: the streams' reader was never started (decision 0036).
    expect(samples(text, 'saltapid_event_streams_reader_started')).toEqual(['saltapid_event_streams_reader_started 0']);
    expect(samples(text, 'saltapid_event_streams_reader_connected')).toEqual([
      'saltapid_event_streams_reader_connected 0',
    ]);
    expect(samples(text, 'saltapid_event_streams_reader_restarts_total')).toEqual([
      'saltapid_event_streams_reader_restarts_total 0',
    ]);
    expect(samples(text, 'saltapid_sessions')).toEqual(['saltapid_sessions 1']);
    expect(samples(text, 'saltapid_webhook_deliveries_total').sort()).toEqual([
      'saltapid_webhook_deliveries_total{rule="/hook",outcome="fired"} 1',
      'saltapid_webhook_deliveries_total{rule="gh/*",outcome="fired"} 1',
      'saltapid_webhook_deliveries_total{rule="gh/*",outcome="rejected"} 1',
    ]);
    expect(samples(text, 'saltapid_streams_open')).toHaveLength(2);
    expect(samples(text, 'saltapid_liveness_checks_total').sort()).toEqual([
      'saltapid_liveness_checks_total{kind="find_job"} 0',
      'saltapid_liveness_checks_total{kind="running"} 0',
    ]);
    expect(samples(text, 'saltapid_liveness_checks_deferred_total')).toEqual([
      'saltapid_liveness_checks_deferred_total 0',
    ]);
    expect(text).toContain('process_resident_memory_bytes');
    expect(text).toContain('saltapid_http_request_duration_seconds_bucket');
    // 10,000 real requests: 8 s on an idle 2-core machine, 20 s and more on a busy one.
  }, 60_000);
});
