import { readFileSync } from 'node:fs';
import { BlockList } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/config/secret.js';
import type { WebhookRule } from '../../src/config/webhook-settings.js';
import { webhookRule } from '../support/webhook-rule.js';
import { apiForFile, login } from '../support/api.js';

const COMMITTED = new URL('../../docs/openapi.json', import.meta.url);

describe('GET /openapi.json', () => {
  const api = apiForFile();

  it('serves the description without authentication, as JSON', async () => {
    const response = await api.call('/openapi.json');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const document = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe('3.1.0');
    expect(document.paths['/login']).toBeDefined();
  });

  it('equals the committed docs/openapi.json (regenerate it with `npm run openapi`)', async () => {
    const { token } = await login(api);
    const served: unknown = await (await api.call('/openapi.json', { headers: { 'X-Auth-Token': token } })).json();
    expect(served).toEqual(JSON.parse(readFileSync(COMMITTED, 'utf8')));
  });

  it('answers HEAD, and 405 with Allow for other methods', async () => {
    expect((await api.call('/openapi.json', { method: 'HEAD' })).status).toBe(200);
    const refused = await api.call('/openapi.json', { method: 'DELETE' });
    expect(refused.status).toBe(405);
    expect(refused.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('GET <root_prefix>/openapi.json', () => {
  const api = apiForFile({ settings: { rest: { rootPrefix: '/api', enableSessions: false } } });

  it('is served under root_prefix and describes that configuration', async () => {
    expect((await api.call('/openapi.json')).status).toBe(404);
    const document = (await (await api.call('/api/openapi.json')).json()) as {
      servers: Array<{ url: string }>;
      paths: Record<string, unknown>;
    };
    expect(document.servers[0]!.url).toBe('/api');
    expect(document.paths['/login']).toBeUndefined();
    expect(document.paths['/run']).toBeDefined();
  });
});

describe('GET /openapi.json and the webhooks rules', () => {
  const allowFrom = new BlockList();
  allowFrom.addSubnet('10.20.0.0', 16, 'ipv4');
  const rule = (path: string, auth: WebhookRule['auth'], extra: Partial<WebhookRule> = {}): WebhookRule =>
    webhookRule(path, auth, { secret: auth === 'none' ? undefined : new Secret('openapi-test-secret'), ...extra });
  const api = apiForFile({
    settings: {
      rest: {
        webhooks: [
          rule('deploy-github/*', 'github'),
          rule('unchecked-intranet/*', 'none', { allowFrom, allowFromText: ['10.20.0.0/16'] }),
          rule('ci-bearer/*', 'token'),
        ],
      },
    },
  });

  /** Whatever the document says that only the rules could have told. */
  const ruleDetails = (text: string): string[] =>
    [
      'deploy-github',
      'unchecked-intranet',
      'ci-bearer',
      '10.20.0.0',
      'no check',
      'X-Hub-Signature-256',
      'Bearer <secret>',
    ].filter((detail) => text.includes(detail));

  it('describes the hook without the rules to a caller without credentials', async () => {
    for (const headers of [{}, { 'X-Auth-Token': 'f'.repeat(40) }, { Cookie: `session_id=${'e'.repeat(40)}` }]) {
      const response = await api.call('/openapi.json', { headers });
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(ruleDetails(text)).toEqual([]);
      const document = JSON.parse(text) as { paths: Record<string, { post?: { description: string } }> };
      expect(document.paths['/hook/{path}']?.post?.description).toContain('described to a caller with a session');
      expect(response.headers.get('vary')).toContain('X-Auth-Token');
    }
  });

  it('describes them to a caller with a live session (header or cookie)', async () => {
    const { token } = await login(api);
    for (const headers of [{ 'X-Auth-Token': token }, { Cookie: `session_id=${token}` }]) {
      const response = await api.call('/openapi.json', { headers });
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('private');
      expect(ruleDetails(await response.text())).toEqual([
        'deploy-github',
        'unchecked-intranet',
        'ci-bearer',
        'no check',
        'X-Hub-Signature-256',
        'Bearer <secret>',
      ]);
    }
    // Logged out, the same session id gets the public description again.
    await api.call('/logout', { method: 'POST', headers: { 'X-Auth-Token': token } });
    const after = await api.call('/openapi.json', { headers: { 'X-Auth-Token': token } });
    expect(ruleDetails(await after.text())).toEqual([]);
  });
});
