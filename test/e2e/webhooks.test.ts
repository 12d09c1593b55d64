import { createHmac } from 'node:crypto';
import { BlockList } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '../../src/config/secret.js';
import type { WebhookRule } from '../../src/config/webhook-settings.js';
import { webhookRule } from '../support/webhook-rule.js';
import type { SaltEvent } from '../../src/salt/event-frame.js';
import { startApi, type ApiUnderTest } from '../support/api.js';

/**
 * `webhooks` rules on /hook and salt-event-hub's `/<event>/trigger`, through the real server and
 * the demo master's bus: what fires, what is refused, and that no secret reaches a log or an event.
 */

const GITHUB_SECRET = 'gh-s3cret-value';
const GITEA_SECRET = 'gitea-s3cret-value';
const GITLAB_SECRET = 'gitlab-s3cret-value';
const CI_SECRET = 'ci-s3cret-value';
const HUB_TOKEN = 'hub-s3cret-token';
const SECRETS = [GITHUB_SECRET, GITEA_SECRET, GITLAB_SECRET, CI_SECRET, HUB_TOKEN];

const rule = webhookRule;

function blockOf(...cidrs: Array<[string, number, 'ipv4' | 'ipv6']>): BlockList {
  const list = new BlockList();
  for (const [address, bits, family] of cidrs) list.addSubnet(address, bits, family);
  return list;
}

const RULES: WebhookRule[] = [
  rule('github/*', 'github', { secret: new Secret(GITHUB_SECRET) }),
  rule('gitea/*', 'gitea', { secret: new Secret(GITEA_SECRET) }),
  rule('gitlab/*', 'gitlab', { secret: new Secret(GITLAB_SECRET) }),
  rule('ci/*', 'token', { secret: new Secret(CI_SECRET) }),
  rule('ci-header/*', 'token', { secret: new Secret(CI_SECRET), header: 'X-Deploy-Key' }),
  rule('open/*', 'none'),
  rule('lan/*', 'none', { allowFrom: blockOf(['10.0.0.0', 8, 'ipv4']), allowFromText: ['10.0.0.0/8'] }),
  rule('local/*', 'none', { allowFrom: blockOf(['127.0.0.0', 8, 'ipv4']), allowFromText: ['127.0.0.0/8'] }),
];

const apis: ApiUnderTest[] = [];
afterEach(async () => {
  for (const api of apis.splice(0)) await api.close();
});

interface Harness {
  api: ApiUnderTest;
  logs: string[];
  post(path: string, body: string, headers?: Record<string, string>): Promise<Response>;
  /** The events fired under `prefix` so far, waiting up to `ms` for at least `count`. */
  events(count: number, ms?: number): Promise<SaltEvent[]>;
  /**
   * Every event the requests answered so far fired: a sentinel sent after them through salt-apid's own
   * pull connection comes back after all of them, so no wait for an absence is needed.
   */
  allEvents(): Promise<SaltEvent[]>;
}

let sentinels = 0;

async function start(): Promise<Harness> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const api = await startApi({
    settings: { rest: { webhooks: RULES, eventHub: { token: new Secret(HUB_TOKEN), allowedTags: undefined } } },
    logger: pino({ level: 'info' }, sink),
  });
  apis.push(api);
  const sub = api.server.master.bus.subscribe({
    match: (tag) => tag.startsWith('salt/netapi/hook/') || !tag.startsWith('salt/'),
    maxQueue: 1000,
  });
  const seen: SaltEvent[] = [];
  return {
    api,
    logs,
    post: (path, body, headers = {}) =>
      api.call(path, { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...headers } }),
    async events(count, ms = 10_000) {
      const until = Date.now() + ms;
      while (seen.length < count) {
        const event = await sub.nextWithin(Math.max(0, until - Date.now()));
        if (event === undefined) break;
        seen.push(event);
      }
      return [...seen];
    },
    async allEvents() {
      const sentinel = `sentinel/webhooks/${++sentinels}`;
      await api.server.master.bus.fire(sentinel, {});
      for (;;) {
        const event = await sub.nextWithin(15_000);
        if (event === undefined) throw new Error(`${sentinel} did not come back`);
        if (event.tag === sentinel) return [...seen];
        seen.push(event);
      }
    },
  };
}

const hmac = (secret: string, body: string): string => createHmac('sha256', secret).update(body).digest('hex');
const PUSH = '{"ref":"refs/heads/main","repository":{"full_name":"acme/app"}}';

describe('webhooks: GitHub, Gitea, GitLab, token', () => {
  it('fires a verified delivery with a `verified` field and without the secret-bearing headers', async () => {
    const h = await start();
    const res = await h.post('/hook/github/push', PUSH, {
      'X-Hub-Signature-256': `sha256=${hmac(GITHUB_SECRET, PUSH)}`,
      'X-GitHub-Delivery': 'd-0001',
      'X-GitHub-Event': 'push',
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"success": true}');
    const [event] = await h.events(1);
    expect(event?.tag).toBe('salt/netapi/hook/github/push');
    const data = event?.data as Record<string, unknown>;
    expect(data['verified']).toEqual({ auth: 'github', delivery: 'd-0001' });
    expect(data['post']).toEqual({ ref: 'refs/heads/main', repository: { full_name: 'acme/app' } });
    expect(data['body']).toBe(PUSH);
    const headers = data['headers'] as Record<string, unknown>;
    expect(headers['X-Github-Event']).toBe('push');
    expect(Object.keys(headers).some((name) => /signature/i.test(name))).toBe(false);
  });

  it('refuses a tampered body, a wrong or missing signature with 401, firing nothing', async () => {
    const h = await start();
    const signature = `sha256=${hmac(GITHUB_SECRET, PUSH)}`;
    const tampered = PUSH.replace('main', 'evil');
    const cases: Array<[string, Record<string, string>]> = [
      [tampered, { 'X-Hub-Signature-256': signature, 'X-GitHub-Delivery': 'd-1' }],
      [PUSH, { 'X-Hub-Signature-256': `sha256=${hmac('wrong', PUSH)}`, 'X-GitHub-Delivery': 'd-2' }],
      [PUSH, { 'X-Hub-Signature-256': signature.slice(0, -2), 'X-GitHub-Delivery': 'd-3' }],
      [PUSH, { 'X-Hub-Signature': `sha1=${createHmac('sha1', GITHUB_SECRET).update(PUSH).digest('hex')}` }],
      [PUSH, {}],
    ];
    for (const [body, headers] of cases) {
      const res = await h.post('/hook/github/push', body, headers);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ status: 401, return: 'The webhook delivery could not be verified.' });
    }
    expect(await h.allEvents()).toEqual([]);
    const refusals = h.logs.filter((line) => line.includes('webhook delivery refused'));
    expect(refusals).toHaveLength(cases.length);
    expect(JSON.parse(refusals[0] ?? '{}')).toMatchObject({
      rule: 'github/*',
      auth: 'github',
      reason: 'bad signature',
      delivery: 'd-1',
      path: '/hook/github/push',
      remoteAddress: expect.stringMatching(/127\.0\.0\.1/),
    });
  });

  it('fires a signed delivery once, whatever delivery id its replays carry or leave out', async () => {
    const h = await start();
    const signed = (body: string) => ({ 'X-Hub-Signature-256': `sha256=${hmac(GITHUB_SECRET, body)}` });
    // The delivery id header is not signed: a replay may repeat it, change it or leave it out.
    const ids = ['d-77', 'd-77', 'd-78', undefined, 'another-id', undefined];
    for (const id of ids) {
      const headers = id === undefined ? signed(PUSH) : { ...signed(PUSH), 'X-GitHub-Delivery': id };
      const res = await h.post('/hook/github/push', PUSH, headers);
      expect([res.status, await res.text()]).toEqual([200, '{"success": true}']);
    }
    // Nor is the path: the same body to another path of the rule is the same delivery.
    expect((await h.post('/hook/github/deploy', PUSH, signed(PUSH))).status).toBe(200);
    // Another signed body is another delivery; events fire in order, so had a replay fired, it
    // would be among the first two.
    const other = PUSH.replace('main', 'release');
    expect((await h.post('/hook/github/push', other, { ...signed(other), 'X-GitHub-Delivery': 'd-77' })).status).toBe(
      200,
    );
    const events = await h.events(2);
    expect(events.map((event) => [event.tag, (event.data as { body: string }).body])).toEqual([
      ['salt/netapi/hook/github/push', PUSH],
      ['salt/netapi/hook/github/push', other],
    ]);
    expect(events.map((event) => (event.data as { verified: unknown }).verified)).toEqual([
      { auth: 'github', delivery: 'd-77' },
      { auth: 'github', delivery: 'd-77' },
    ]);
    const counts = h.api.server.app.webhooks.stats().filter(({ rule }) => rule === 'github/*');
    expect(Object.fromEntries(counts.map(({ outcome, count }) => [outcome, count]))).toEqual({ fired: 2, replayed: 6 });
  });

  it('remembers Gitea and GitLab deliveries by their body too, and token rules not at all', async () => {
    const h = await start();
    for (const id of ['g-1', 'g-2', undefined]) {
      const headers = { 'X-Gitea-Signature': hmac(GITEA_SECRET, PUSH), ...(id && { 'X-Gitea-Delivery': id }) };
      expect((await h.post('/hook/gitea/push', PUSH, headers)).status).toBe(200);
    }
    for (const id of ['l-1', 'l-2']) {
      const headers = { 'X-Gitlab-Token': GITLAB_SECRET, 'X-Gitlab-Event-UUID': id };
      expect((await h.post('/hook/gitlab/push', PUSH, headers)).status).toBe(200);
    }
    // A script calling a token rule twice with the same body means it twice.
    for (let i = 0; i < 2; i++) {
      expect((await h.post('/hook/ci/deploy', PUSH, { Authorization: `Bearer ${CI_SECRET}` })).status).toBe(200);
    }
    const events = await h.events(4);
    expect(events.map((event) => event.tag)).toEqual([
      'salt/netapi/hook/gitea/push',
      'salt/netapi/hook/gitlab/push',
      'salt/netapi/hook/ci/deploy',
      'salt/netapi/hook/ci/deploy',
    ]);
  });

  it('verifies Gitea signatures, GitLab tokens and bearer or header tokens', async () => {
    const h = await start();
    const ok = [
      ['/hook/gitea/push', { 'X-Gitea-Signature': hmac(GITEA_SECRET, PUSH), 'X-Gitea-Delivery': 'g-1' }],
      ['/hook/gitlab/push', { 'X-Gitlab-Token': GITLAB_SECRET, 'X-Gitlab-Event-UUID': 'l-1' }],
      ['/hook/ci/deploy', { Authorization: `Bearer ${CI_SECRET}` }],
      ['/hook/ci-header/deploy', { 'X-Deploy-Key': CI_SECRET }],
    ] as const;
    for (const [path, headers] of ok) expect((await h.post(path, PUSH, headers)).status).toBe(200);
    const bad = [
      ['/hook/gitea/push', { 'X-Gitea-Signature': hmac(GITEA_SECRET, `${PUSH} `) }],
      ['/hook/gitlab/push', { 'X-Gitlab-Token': `${GITLAB_SECRET}x` }],
      ['/hook/ci/deploy', { Authorization: CI_SECRET }],
      ['/hook/ci/deploy', { Authorization: `Bearer ${CI_SECRET.slice(1)}` }],
      ['/hook/ci-header/deploy', {}],
    ] as const;
    for (const [path, headers] of bad) expect((await h.post(path, PUSH, headers)).status).toBe(401);
    const events = await h.allEvents();
    expect(events.map((event) => (event.data as { verified: unknown }).verified)).toEqual([
      { auth: 'gitea', delivery: 'g-1' },
      { auth: 'gitlab', delivery: 'l-1' },
      { auth: 'token', delivery: null },
      { auth: 'token', delivery: null },
    ]);
  });

  it('checks allow_from against the socket address, before anything else', async () => {
    const h = await start();
    const refused = await h.post('/hook/lan/x', '{}', { 'X-Forwarded-For': '10.1.2.3', 'Remote-Addr': '10.1.2.3' });
    expect(refused.status).toBe(403);
    expect((await h.post('/hook/local/x', '{}')).status).toBe(200);
    expect((await h.post('/hook/open/x', '{}')).status).toBe(200);
    const events = await h.events(2);
    expect(events.map((event) => event.tag)).toEqual(['salt/netapi/hook/local/x', 'salt/netapi/hook/open/x']);
  });

  it("keeps salt-api's session check where no rule matches", async () => {
    const h = await start();
    expect((await h.post('/hook/elsewhere', '{}')).status).toBe(401);
    expect(await h.allEvents()).toEqual([]);
  });

  it('never puts a secret in a log line or an event', async () => {
    const h = await start();
    await h.post('/hook/github/push', PUSH, { 'X-Hub-Signature-256': `sha256=${hmac(GITHUB_SECRET, PUSH)}` });
    await h.post('/hook/gitlab/push', PUSH, { 'X-Gitlab-Token': GITLAB_SECRET });
    await h.post('/hook/gitlab/push', PUSH, { 'X-Gitlab-Token': 'wrong' });
    await h.post('/hook/ci/deploy', PUSH, { Authorization: `Bearer ${CI_SECRET}` });
    await h.post('/deploy/trigger', PUSH, { 'X-AUTH-TOKEN': HUB_TOKEN });
    await h.post('/deploy/trigger', PUSH, { 'X-AUTH-TOKEN': `${HUB_TOKEN}x` });
    const events = await h.events(4);
    const everything = JSON.stringify(events) + h.logs.join('');
    for (const secret of SECRETS) expect(everything).not.toContain(secret);
  });
});

describe('salt-event-hub: POST /<event>/trigger', () => {
  it('fires the bare tag with the JSON body as the data, answering as salt-event-hub does', async () => {
    const h = await start();
    const body = '{"source":"serviceX","project":"projectX","build_number":23}';
    const res = await h.post('/deploy/trigger', body, { 'X-AUTH-TOKEN': HUB_TOKEN });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('OK');
    const [event] = await h.events(1);
    expect(event?.tag).toBe('deploy');
    expect(event?.data).toMatchObject({ source: 'serviceX', project: 'projectX', build_number: 23 });
  });

  it('answers 401 "Wrong X-AUTH-TOKEN" and 400 "Bad Request", firing nothing', async () => {
    const h = await start();
    const wrong = await h.post('/deploy/trigger', '{}', { 'X-AUTH-TOKEN': 'nope' });
    expect([wrong.status, await wrong.text(), wrong.headers.get('authenticate')]).toEqual([
      401,
      'Wrong X-AUTH-TOKEN',
      'Basic realm="Proper Token Required"',
    ]);
    expect((await h.post('/deploy/trigger', '{}')).status).toBe(401);
    for (const [path, body] of [
      ['/deploy/trigger', '{"a": '],
      ['/deploy/trigger', '[1, 2]'],
      ['/deploy/trigger', '"text"'],
      ['/salt%2Fauth/trigger', '{}'],
    ] as const) {
      const res = await h.post(path, body, { 'X-AUTH-TOKEN': HUB_TOKEN });
      expect([res.status, await res.text()]).toEqual([400, 'Bad Request']);
    }
    const form = await h.api.call('/deploy/trigger', {
      method: 'POST',
      body: 'project=x',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-AUTH-TOKEN': HUB_TOKEN },
    });
    expect(form.status).toBe(400);
    expect(await h.allEvents()).toEqual([]);
  });
});
