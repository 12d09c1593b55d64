import { describe, expect, it } from 'vitest';
import { parseUrlencoded } from '../../src/http/transport/body.js';
import { CREDENTIAL_HEADERS, hookEvent, hookTag, saltStamp } from '../../src/http/webhooks/hook-event.js';
import { loadFixture } from '../support/fixtures.js';
import { loadYaml } from '../../src/python/yaml11.js';

interface HookFixture {
  http_request: { path: string; headers: Record<string, string>; body: string };
  event_tag: string;
  event: { data: { body: string; post: unknown; headers: Record<string, string>; _stamp: string } };
}

/** What salt-apid's body parsing plus lowstate `arg` wrapping makes of each recorded body. */
function parsed(contentType: string | undefined, body: string): unknown {
  if (body === '') return undefined;
  let value: unknown;
  if (contentType === 'application/json') value = JSON.parse(body);
  else if (contentType === 'application/x-yaml') value = loadYaml(body);
  else if (contentType === 'application/x-www-form-urlencoded') value = parseUrlencoded(body);
  else {
    try {
      value = JSON.parse(body);
    } catch {
      value = body;
    }
  }
  if (value && typeof value === 'object' && !Array.isArray(value) && 'arg' in value) {
    const arg = value.arg;
    return { ...value, arg: Array.isArray(arg) ? arg : [arg] };
  }
  return value;
}

describe('hookEvent against the events salt-api fired on a real master', () => {
  it.each([
    'hook_json',
    'hook_form',
    'hook_text_plain',
    'hook_text_plain_json',
    'hook_yaml',
    'hook_empty',
    'hook_bare_path',
  ])('%s', (name) => {
    const f = loadFixture(name) as unknown as HookFixture;
    const recorded = f.event.data;
    // The headers as they arrived: the recorded names lower-cased, in the recorded order.
    const rawHeaders = Object.entries(recorded.headers)
      .filter(([k]) => k !== 'Remote-Addr')
      .flatMap(([k, v]) => [k.toLowerCase(), v]);
    const event = hookEvent({
      subPath: f.http_request.path.slice('/hook'.length),
      rawBody: f.http_request.body,
      parsedBody: parsed(recorded.headers['Content-Type'], f.http_request.body),
      rawHeaders,
      remoteAddress: '127.0.0.1',
      now: new Date(recorded._stamp),
    });
    expect(event.tag).toBe(f.event_tag);
    // Byte for byte what salt-api fired, minus the credential headers it should not have copied.
    const headers = Object.fromEntries(
      Object.entries(recorded.headers).filter(([k]) => !CREDENTIAL_HEADERS.has(k.toLowerCase())),
    );
    expect(Object.keys(headers).length).toBeLessThan(Object.keys(recorded.headers).length);
    expect(JSON.stringify(event.data)).toBe(JSON.stringify({ ...recorded, headers, _stamp: event.data['_stamp'] }));
    expect(Object.keys(event.data)).toEqual(['body', 'post', 'headers', '_stamp']);
  });
});

describe('hook helpers', () => {
  it('builds the tag from decoded segments, dropping empty trailing ones', () => {
    expect(hookTag('')).toBe('salt/netapi/hook');
    expect(hookTag('/')).toBe('salt/netapi/hook');
    expect(hookTag('/services/restart/')).toBe('salt/netapi/hook/services/restart');
    expect(hookTag('/a%20b/c%2Fd')).toBe('salt/netapi/hook/a b/c/d');
  });

  it('joins repeated headers and never trusts a client Remote-Addr header', () => {
    const event = hookEvent({
      subPath: '',
      rawBody: '',
      parsedBody: undefined,
      remoteAddress: '10.0.0.7',
      rawHeaders: ['remote-addr', '1.2.3.4', 'x-tag', 'a', 'X-Tag', 'b'],
    });
    expect(event.data['headers']).toEqual({ 'Remote-Addr': '10.0.0.7', 'X-Tag': 'a, b' });
  });

  it('stamps like the 3008 master', () => {
    expect(saltStamp(new Date('2026-11-23T08:44:44.352Z'))).toBe('2026-11-23T08:44:44.352000+00:00');
  });
});

describe('credential headers in hook events', () => {
  const credentialHeaders = [
    ['X-Auth-Token', 'a'.repeat(40)],
    ['cookie', 'session_id=' + 'b'.repeat(40)],
    ['AUTHORIZATION', 'Basic c2FsdDpzZWNyZXQ='],
    ['Proxy-Authorization', 'Basic eDp5'],
    ['x-hub-signature', 'sha1=hub-signature-value'],
    ['X-Hub-Signature-256', 'sha256=hub-signature-256-value'],
    ['X-Gitea-Signature', 'gitea-signature-value'],
    ['x-gogs-signature', 'gogs-signature-value'],
    ['X-GitLab-Token', 'gl-secret'],
    ['x-AUTH-token', 'again'],
  ] as const;

  it('lists exactly the headers it strips', () => {
    expect([...CREDENTIAL_HEADERS].sort()).toEqual([
      'authorization',
      'cookie',
      'proxy-authorization',
      'x-auth-token',
      'x-gitea-signature',
      'x-gitlab-token',
      'x-gogs-signature',
      'x-hub-signature',
      'x-hub-signature-256',
    ]);
  });

  it('leaves them out of the event in any letter case and keeps every other header in order', () => {
    const event = hookEvent({
      subPath: '/deploy',
      rawBody: '',
      parsedBody: undefined,
      remoteAddress: '10.0.0.7',
      rawHeaders: ['host', 'h', ...credentialHeaders.flat(), 'x-github-event', 'push', 'content-type', 'text/plain'],
    });
    const headers = event.data['headers'] as Record<string, string>;
    expect(Object.keys(headers)).toEqual(['Remote-Addr', 'Host', 'X-Github-Event', 'Content-Type']);
    const text = JSON.stringify(event);
    for (const [, value] of credentialHeaders) expect(text).not.toContain(value);
  });
});
