import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OptionReader } from '../../src/config/option-reader.js';
import { Secret } from '../../src/config/secret.js';
import { readEventHub, readWebhookRules, type WebhookRule } from '../../src/config/webhook-settings.js';
import { eventHubAllows } from '../../src/http/routes/event-hub.js';
import { WebhookGate } from '../../src/http/webhooks/gate.js';
import { ReplayWindow } from '../../src/http/webhooks/replay.js';
import { verifyDelivery } from '../../src/http/webhooks/verify.js';
import { fuzzRuns } from '../support/fuzz.js';

const reader = (rest: Record<string, unknown>): OptionReader =>
  new OptionReader(rest, ['rest_cherrypy'], () => '/etc/salt/master');

function githubRule(secret: string): WebhookRule {
  const [rule] = readWebhookRules(reader({ webhooks: [{ path: 'github/*', auth: 'github', secret }] }));
  if (rule === undefined) throw new Error('no rule');
  return rule;
}

describe('webhook signatures', () => {
  it("verifies GitHub's documented test vector", () => {
    const rule = githubRule("It's a Secret to Everybody");
    const headers = {
      'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
      'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    };
    expect(verifyDelivery(rule, Buffer.from('Hello, World!'), headers)).toEqual({
      ok: true,
      deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    });
    expect(verifyDelivery(rule, Buffer.from('Hello, World?'), headers)).toMatchObject({ ok: false });
    expect(
      verifyDelivery(rule, Buffer.from('Hello, World!'), { ...headers, 'x-hub-signature-256': 'sha256=' }),
    ).toMatchObject({ ok: false, reason: 'bad signature' });
  });

  it('never accepts a delivery whose signature was not made with the secret (fuzzed)', () => {
    const rule = githubRule('fuzz-secret');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), fc.string({ maxLength: 80 }), (body, signature) => {
        const result = verifyDelivery(rule, Buffer.from(body), { 'x-hub-signature-256': signature });
        expect(result.ok).toBe(false);
      }),
      fuzzRuns(20261125, 500),
    );
  });
});

describe('webhook settings', () => {
  it('reads rules with their defaults, secrets from files without the trailing newline', () => {
    const dir = mkdtempSync(join(tmpdir(), 'webhook-settings-'));
    writeFileSync(join(dir, 'ci.secret'), 'from-a-file\n');
    const [github, ci] = readWebhookRules(
      reader({
        webhooks: [
          {
            path: 'github/*',
            auth: 'github',
            secret: 's',
            allow_from: ['192.30.252.0/22', '2001:db8::/32', '10.1.2.3'],
          },
          { path: 'ci/*', auth: 'token', header: 'X-Key', secret_file: join(dir, 'ci.secret'), replay_window: 0 },
        ],
      }),
    );
    expect(github).toMatchObject({ path: 'github/*', auth: 'github', header: 'Authorization', replayWindow: 300 });
    expect(github?.allowFrom?.check('192.30.253.9', 'ipv4')).toBe(true);
    expect(github?.allowFrom?.check('192.30.256.1', 'ipv4')).toBe(false);
    expect(github?.allowFrom?.check('2001:db8::7', 'ipv6')).toBe(true);
    expect(ci?.secret?.bytes.toString()).toBe('from-a-file');
    expect(ci).toMatchObject({ header: 'X-Key', replayWindow: 0 });
  });

  it('refuses rules that cannot work, naming the rule and the problem', () => {
    const bad: Array<[unknown, RegExp]> = [
      ['github/*', /must be a list/],
      [[{ auth: 'none' }], /rule 1: path/],
      [[{ path: 'x', auth: 'hmac' }], /auth must be one of/],
      [[{ path: 'x', auth: 'github' }], /needs secret or secret_file/],
      [[{ path: 'x', auth: 'token', secret: 'a', secret_file: '/x' }], /either secret or secret_file/],
      [[{ path: 'x', auth: 'token', secret_file: '/nonexistent/secret' }], /cannot be read/],
      [[{ path: 'x', auth: 'none', allow_from: ['10.0.0.0/33'] }], /not an address or CIDR/],
      [[{ path: 'x', auth: 'none', allow_from: ['example.com'] }], /not an address or CIDR/],
      [[{ path: 'x', auth: 'token', secret: 'a', header: 'Bad Header' }], /header must be/],
      [[{ path: 'x', auth: 'none', replay_window: -1 }], /replay_window/],
    ];
    for (const [webhooks, message] of bad) {
      expect(() => readWebhookRules(reader({ webhooks }))).toThrow(message);
    }
    expect(() => readEventHub(reader({ event_hub: {} }))).toThrow(/needs token or token_file/);
    expect(() => readEventHub(reader({ event_hub: { token: 't', allowed_tags: 'deploy' } }))).toThrow(/allowed_tags/);
  });

  it('keeps secrets out of every printed form', () => {
    const secret = new Secret('hunter2');
    const printed = [String(secret), JSON.stringify({ secret }), inspect(secret), inspect({ nested: { secret } })];
    for (const text of printed) expect(text).not.toContain('hunter2');
    expect(secret.bytes.toString()).toBe('hunter2');
  });
});

describe('event hub tags', () => {
  it('allows any tag outside salt/ by default, else the configured globs; never a control character', () => {
    const open = { token: new Secret('t'), allowedTags: undefined };
    expect(['deploy', 'build/web', 'saltstack'].every((tag) => eventHubAllows(open, tag))).toBe(true);
    expect(['salt/auth', 'salt/job/1/ret/x', 'a\nb', ''].some((tag) => eventHubAllows(open, tag))).toBe(false);
    const listed = { token: new Secret('t'), allowedTags: ['deploy', 'remove', 'build/*'] };
    expect(['deploy', 'build/web'].every((tag) => eventHubAllows(listed, tag))).toBe(true);
    expect(['deploys', 'other', 'salt/auth'].some((tag) => eventHubAllows(listed, tag))).toBe(false);
  });
});

describe('replay window', () => {
  it('acknowledges a delivery id again only within its window, and forgets the oldest past its bound', () => {
    const window = new ReplayWindow(3);
    expect(window.claim('a', 10, 0)).toBe(true);
    expect(window.claim('a', 10, 5_000)).toBe(false);
    expect(window.claim('a', 10, 10_001)).toBe(true);
    expect(window.claim('b', 0, 0)).toBe(true);
    expect(window.claim('b', 0, 0)).toBe(true);
    for (const key of ['c', 'd', 'e', 'f']) window.claim(key, 100, 20_000);
    expect(window.size).toBe(3);
    window.release('f');
    expect(window.claim('f', 100, 20_001)).toBe(true);
  });

  it('matches rules first to last by glob and checks allow_from on the socket address', () => {
    const rules = readWebhookRules(
      reader({
        webhooks: [
          { path: 'github/*', auth: 'none', allow_from: ['127.0.0.0/8'] },
          { path: '*', auth: 'salt' },
        ],
      }),
    );
    const gate = new WebhookGate(rules, undefined);
    expect(gate.ruleFor('github/push')?.index).toBe(0);
    expect(gate.ruleFor('other')?.index).toBe(1);
    const first = rules[0];
    if (first === undefined) throw new Error('no rule');
    expect(gate.addressAllowed(first, '::ffff:127.0.0.1')).toBe(true);
    expect(gate.addressAllowed(first, '10.0.0.1')).toBe(false);
    expect(gate.addressAllowed(first, '::1')).toBe(false);
  });
});
