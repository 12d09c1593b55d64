import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiUnderTest } from '../support/api.js';

const COMMITTED = new URL('../../docs/openapi.json', import.meta.url);

describe('GET /openapi.json', () => {
  let api: ApiUnderTest;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(async () => api.close());

  it('serves the description without authentication, as JSON', async () => {
    const response = await api.call('/openapi.json');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const document = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe('3.1.0');
    expect(document.paths['/login']).toBeDefined();
  });

  it('equals the committed docs/openapi.json (regenerate it with `npm run openapi`)', async () => {
    const served: unknown = await (await api.call('/openapi.json')).json();
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
  let api: ApiUnderTest;
  beforeAll(async () => {
    api = await startApi({ settings: { rest: { rootPrefix: '/api', enableSessions: false } } });
  });
  afterAll(async () => api.close());

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
