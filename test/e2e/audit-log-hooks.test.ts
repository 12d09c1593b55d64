import { createHmac } from 'node:crypto';
import { BlockList } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/config/secret.js';
import { webhookRule } from '../support/webhook-rule.js';
import { apiForFile, login, SALTDEV } from '../support/api.js';
import { auditFileForFile, leakedInto, type AuditRecord } from '../support/audit.js';

/**
 * `log_audit_file`: a `hook` record for every delivery to `/hook` (with or without a `webhooks`
 * rule) and to the event hub, fired or refused, naming its tag, rule and check; never its body,
 * its signature or a secret.
 */

const GITHUB_SECRET = 'gh-audit-secret-6d1f';
const CI_SECRET = 'ci-audit-secret-0b7e';
const HUB_TOKEN = 'hub-audit-token-91ac';
/** A secret-looking value in a delivery's body: bodies are never written. */
const BODY_SECRET = 'body-audit-secret-3c58';

const rule = webhookRule;

const lan = new BlockList();
lan.addSubnet('10.0.0.0', 8, 'ipv4');

const audit = auditFileForFile();
const api = apiForFile({
  auditLog: audit.sink,
  settings: {
    rest: {
      webhooks: [
        rule('github/*', 'github', { secret: new Secret(GITHUB_SECRET) }),
        rule('ci/*', 'token', { secret: new Secret(CI_SECRET) }),
        rule('open/*', 'none'),
        rule('lan/*', 'none', { allowFrom: lan, allowFromText: ['10.0.0.0/8'] }),
      ],
      eventHub: { token: new Secret(HUB_TOKEN), allowedTags: undefined },
    },
  },
});

const BODY = JSON.stringify({ ref: 'refs/heads/main', password: BODY_SECRET });
const signature = `sha256=${createHmac('sha256', GITHUB_SECRET).update(BODY).digest('hex')}`;

function post(path: string, headers: Record<string, string> = {}, body = BODY): Promise<Response> {
  return api.call(path, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
}

const hookFor = (tag: string) => (record: AuditRecord) => record.kind === 'hook' && record.tag === tag;

describe('hook records', () => {
  it('records fired deliveries with their tag, rule and check (and the session user under salt auth)', async () => {
    expect((await post('/hook/open/deploy')).status).toBe(200);
    const [open] = await audit.waitFor(hookFor('salt/netapi/hook/open/deploy'));
    expect(open).toEqual({
      time: expect.any(String),
      kind: 'hook',
      user: null,
      eauth: null,
      source: '127.0.0.1',
      request_id: expect.any(String),
      tag: 'salt/netapi/hook/open/deploy',
      rule: 'open/*',
      auth: 'none',
      outcome: 'ran',
      status: 200,
      duration_ms: expect.any(Number),
    });

    expect((await post('/hook/github/push', { 'X-Hub-Signature-256': signature })).status).toBe(200);
    const [github] = await audit.waitFor(hookFor('salt/netapi/hook/github/push'));
    expect(github).toMatchObject({ rule: 'github/*', auth: 'github', outcome: 'ran', status: 200 });

    // An Accept that refuses the answer fails the request after the event fired: still one record
    // (the file keeps the order of writing: once a later delivery's record is there, so is any other).
    expect((await post('/hook/open/picky', { accept: 'text/x-nothing' })).status).toBe(406);
    expect((await post('/hook/open/after-picky')).status).toBe(200);
    await audit.waitFor(hookFor('salt/netapi/hook/open/after-picky'));
    const picky = (await audit.records()).filter(hookFor('salt/netapi/hook/open/picky'));
    expect(picky.map((r) => [r.outcome, r.status])).toEqual([['ran', 200]]);

    const { token } = await login(api, SALTDEV);
    expect((await post('/hook/mine', { 'x-auth-token': token })).status).toBe(200);
    const [salt] = await audit.waitFor(hookFor('salt/netapi/hook/mine'));
    expect(salt).toMatchObject({ user: 'saltdev', eauth: 'pam', auth: 'salt', outcome: 'ran', status: 200 });
    expect(salt).not.toHaveProperty('rule');
    expect(await leakedInto(audit, [token, signature, GITHUB_SECRET, BODY_SECRET])).toEqual([]);
  });

  it('records refused deliveries: signature, token, allow_from, no session, and a replay', async () => {
    const forged = `sha256=${'0'.repeat(64)}`;
    expect((await post('/hook/github/forged', { 'X-Hub-Signature-256': forged })).status).toBe(401);
    expect((await post('/hook/ci/build', { Authorization: 'Bearer not-the-ci-secret' })).status).toBe(401);
    expect((await post('/hook/lan/printer')).status).toBe(403);
    expect((await post('/hook/somewhere')).status).toBe(401);
    const refused = await Promise.all(
      ['github/forged', 'ci/build', 'lan/printer', 'somewhere'].map(
        async (path) => (await audit.waitFor(hookFor(`salt/netapi/hook/${path}`)))[0],
      ),
    );
    expect(refused.map((r) => [r?.rule, r?.auth, r?.outcome, r?.status])).toEqual([
      ['github/*', 'github', 'refused', 401],
      ['ci/*', 'token', 'refused', 401],
      ['lan/*', 'none', 'refused', 403],
      [undefined, 'salt', 'refused', 401],
    ]);

    const replayBody = JSON.stringify({ ref: 'refs/heads/replay' });
    const replaySignature = `sha256=${createHmac('sha256', GITHUB_SECRET).update(replayBody).digest('hex')}`;
    for (let i = 0; i < 2; i++) {
      expect((await post('/hook/github/replay', { 'X-Hub-Signature-256': replaySignature }, replayBody)).status).toBe(
        200,
      );
    }
    const replays = await audit.waitFor(hookFor('salt/netapi/hook/github/replay'), 2);
    expect(replays.map((r) => [r.outcome, r.status, r.reason])).toEqual([
      ['ran', 200, undefined],
      ['refused', 200, 'replayed'],
    ]);
    expect(await leakedInto(audit, [forged, 'not-the-ci-secret', CI_SECRET, replaySignature])).toEqual([]);
  });

  it('records event hub triggers, fired and refused, without the hub token', async () => {
    expect((await post('/deploy/trigger', { 'X-AUTH-TOKEN': HUB_TOKEN }, '{"a": 1}')).status).toBe(200);
    expect((await post('/deploy/trigger', { 'X-AUTH-TOKEN': 'wrong-hub-token' }, '{"a": 1}')).status).toBe(401);
    expect((await post('/deploy/trigger', { 'X-AUTH-TOKEN': HUB_TOKEN }, '[1]')).status).toBe(400);
    const triggers = await audit.waitFor(hookFor('deploy'), 3);
    expect(triggers.map((r) => [r.rule, r.auth, r.outcome, r.status])).toEqual([
      ['event_hub', 'event_hub', 'ran', 200],
      ['event_hub', 'event_hub', 'refused', 401],
      ['event_hub', 'event_hub', 'error', 400],
    ]);
    expect(await leakedInto(audit, [HUB_TOKEN, 'wrong-hub-token'])).toEqual([]);
  });
});
