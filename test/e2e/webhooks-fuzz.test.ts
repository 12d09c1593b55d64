import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../src/config/secret.js';
import type { WebhookRule } from '../../src/config/webhook-settings.js';
import { webhookRule } from '../support/webhook-rule.js';
import type { Subscription } from '../../src/salt/subscription.js';
import { apiForFile } from '../support/api.js';
import { fuzzRuns, fuzzTimeout, hostileBytes, hostileText } from '../support/fuzz.js';

/**
 * Webhook deliveries and event-hub triggers as an attacker sends them: random paths, headers,
 * signatures, tokens and bodies. Never a 5xx, and an event fires exactly when the delivery carried
 * a valid signature or token (and was not a replay).
 */
const RUNS = 300;
const SEED = 20261125;
const GITHUB = 'fuzz-github-secret';
const TOKEN = 'fuzz-ci-token';
const HUB = 'fuzz-hub-token';
const SENTINEL = 'sentinel/webhooks-fuzz/';

/**
 * The events a delivery fired. A sentinel goes out after its answer through the same pull connection
 * as salt-apid's own fires, so the master republishes it after them: whatever arrives before it is
 * this delivery's, and nothing it fired can come later (no wait for an absence that a busy machine
 * could outlast).
 */
async function firedBy(id: string): Promise<string[]> {
  await api.server.master.bus.fire(`${SENTINEL}${id}`, {});
  const tags: string[] = [];
  for (;;) {
    const event = await fired.nextWithin(30_000);
    if (event === undefined) throw new Error(`the sentinel after ${id} did not come back`);
    if (event.tag === `${SENTINEL}${id}`) return tags;
    tags.push(event.tag);
  }
}

const rule = (path: string, auth: WebhookRule['auth'], secret: string): WebhookRule =>
  webhookRule(path, auth, { secret: new Secret(secret) });

const api = apiForFile({
  settings: {
    rest: {
      webhooks: [rule('github/*', 'github', GITHUB), rule('ci/*', 'token', TOKEN)],
      eventHub: { token: new Secret(HUB), allowedTags: undefined },
    },
  },
});
let fired: Subscription;

beforeAll(async () => {
  fired = api.server.master.bus.subscribe({
    match: (tag) => tag.startsWith('salt/netapi/hook/') || tag.startsWith('fuzz') || tag.startsWith(SENTINEL),
    maxQueue: 10_000,
  });
});

const sign = (body: Buffer): string => `sha256=${createHmac('sha256', GITHUB).update(body).digest('hex')}`;
const segment = fc.oneof(fc.constantFrom('push', 'a%2Fb', '..', '%00', 'x'.repeat(300)), fc.string({ maxLength: 12 }));
let delivery = 0;
/** The GitHub bodies fired so far: the same signed body again is a replay (whatever its delivery id). */
const firedGithubBodies = new Set<string>();

const request = fc.record({
  kind: fc.constantFrom('github', 'ci', 'hub'),
  tail: segment,
  body: fc.oneof(
    hostileBytes,
    hostileText.map((text) => Buffer.from(text, 'utf8')),
  ),
  contentType: fc.constantFrom(
    'application/json',
    'application/x-yaml',
    'text/plain',
    'application/x-www-form-urlencoded',
  ),
  credential: fc.constantFrom('valid', 'wrong', 'missing', 'garbage'),
  garbage: fc.string({ maxLength: 100 }),
});

describe('webhooks under random deliveries', () => {
  it(
    'never answers 5xx, and fires exactly the verified deliveries',
    async () => {
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          const headers: Record<string, string> = { 'Content-Type': r.contentType };
          const id = `fuzz-${delivery++}`;
          let path: string;
          if (r.kind === 'github') {
            path = `/hook/github/${r.tail}`;
            headers['X-GitHub-Delivery'] = id;
            const value = { valid: sign(r.body), wrong: sign(Buffer.from('other')), garbage: r.garbage }[
              r.credential as 'valid'
            ];
            if (r.credential !== 'missing') headers['X-Hub-Signature-256'] = value.replace(/[\r\n\0]/g, '');
          } else if (r.kind === 'ci') {
            path = `/hook/ci/${r.tail}`;
            const value = { valid: `Bearer ${TOKEN}`, wrong: 'Bearer nope', garbage: r.garbage }[
              r.credential as 'valid'
            ];
            if (r.credential !== 'missing') headers['Authorization'] = value.replace(/[\r\n\0]/g, '');
          } else {
            path = `/fuzz${encodeURIComponent(r.tail).slice(0, 50)}/trigger`;
            const value = { valid: HUB, wrong: 'nope', garbage: r.garbage }[r.credential as 'valid'];
            if (r.credential !== 'missing') headers['X-AUTH-TOKEN'] = value.replace(/[\r\n\0]/g, '');
          }
          let res: Response;
          try {
            res = await api.call(path, { method: 'POST', body: new Uint8Array(r.body), headers });
          } catch {
            return; // a header fetch itself refuses to send (non-ISO-8859-1 text)
          }
          const text = await res.text();
          expect(res.status, `${path} → ${res.status} ${text}`).toBeLessThan(500);
          const replay = r.kind === 'github' && firedGithubBodies.has(r.body.toString('hex'));
          const events = await firedBy(id);
          if (res.status === 200 && !replay) {
            expect(r.credential).toBe('valid');
            expect(events).toHaveLength(1);
            if (r.kind === 'github') firedGithubBodies.add(r.body.toString('hex'));
          } else {
            expect(events).toEqual([]);
          }
        }),
        fuzzRuns(SEED, RUNS),
      );
    },
    fuzzTimeout(120_000),
  );
});
