import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, redactUrl } from '../../src/http/app.js';
import { DEMO_APP_PAGE } from '../../src/http/routes/static.js';
import { testSettings, type SettingsOverrides } from '../support/settings.js';

const WELCOME_JSON =
  '{"return": "Welcome", "clients": ["destroy", "local", "local_async", "local_batch", "local_subset",' +
  ' "runner", "runner_async", "ssh", "wheel", "wheel_async"]}';

const APP_PAGE = '<html>GUI</html>';
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'salt-apid-prefix-'));
  writeFileSync(join(dir, 'page.html'), APP_PAGE);
  writeFileSync(join(dir, 'favicon.ico'), 'ICO');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const apps: FastifyInstance[] = [];

async function makeApp(rest: SettingsOverrides['rest'] = {}): Promise<FastifyInstance> {
  const app = await buildApp({
    settings: testSettings({ rest: { rootPrefix: '/api', ...rest } }),
    logger: pino({ level: 'silent' }),
  });
  apps.push(app);
  return app;
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

describe('root_prefix', () => {
  it('mounts the welcome document at the prefix', async () => {
    const app = await makeApp();
    const response = await app.inject({ url: '/api/' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(WELCOME_JSON);
    expect(response.headers.allow).toBe('GET, HEAD, POST');
  });

  it('answers the prefix without its slash with 301', async () => {
    const app = await makeApp();
    const response = await app.inject({ url: '/api' });
    expect(response.statusCode).toBe(301);
    expect(response.headers.location).toBe('/api/');
    const withQuery = await app.inject({ url: '/api?a=1' });
    expect(withQuery.statusCode).toBe(301);
    expect(withQuery.headers.location).toBe('/api/?a=1');
  });

  it('mounts every route under the prefix', async () => {
    const app = await makeApp();
    const login = await app.inject({ url: '/api/login' });
    expect(login.statusCode).toBe(200);
    expect(login.headers['www-authenticate']).toBe('Session');
    expect(login.headers['set-cookie']).toMatch(/^session_id=/);
    const minions = await app.inject({ url: '/api/minions' });
    expect(minions.statusCode).toBe(401);
    // Routed to /login, which has no master to ask here.
    const post = await app.inject({ method: 'POST', url: '/api/login', payload: { username: 'a' } });
    expect(post.statusCode).toBe(503);
    expect(post.body).toContain('Salt Master is not available.');
    // The hook resource: its auth gate comes before the 405 of a GET, as salt_auth does.
    const hook = await app.inject({ method: 'GET', url: '/api/hook' });
    expect(hook.statusCode).toBe(401);
    expect(hook.headers.allow).toBe('POST');
    const unknown = await app.inject({ url: '/api/nowhere' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body).toContain("The path '/api/nowhere' was not found.");
  });

  it('wants a length only where CherryPy would read a body: under the prefix', async () => {
    const app = await makeApp();
    const lengthless = async (method: 'POST' | 'PUT', url: string): Promise<number> => {
      const response = await app.inject({ method, url });
      expect(response.raw.req.headers['content-length'], `${method} ${url}`).toBeUndefined();
      return response.statusCode;
    };
    expect(await lengthless('POST', '/api/nowhere')).toBe(411);
    expect(await lengthless('POST', '/nowhere')).toBe(404);
    // The prefix itself is the `/` resource: a POST is read as empty before the trailing-slash redirect.
    expect(await lengthless('POST', '/api')).toBe(301);
    expect(await lengthless('PUT', '/api')).toBe(411);
  });

  it('answers 404 outside the prefix', async () => {
    const app = await makeApp();
    for (const url of ['/', '/login', '/minions', '/app', '/apix']) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(404);
      expect(response.headers['content-type']).toBe('text/html;charset=utf-8');
    }
    const login = await app.inject({ url: '/login' });
    expect(login.body).toContain("The path '/login' was not found.");
  });

  it('mounts the app, static files and favicon under the prefix', async () => {
    const app = await makeApp({ static: dir, favicon: join(dir, 'favicon.ico') });
    const page = await app.inject({ url: '/api/app/x' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toBe(DEMO_APP_PAGE);
    expect((await app.inject({ url: '/api/static/page.html' })).body).toBe(APP_PAGE);
    expect((await app.inject({ url: '/api/favicon.ico' })).body).toBe('ICO');
    for (const url of ['/app/x', '/static/page.html', '/favicon.ico']) {
      expect((await app.inject({ url })).statusCode, url).toBe(404);
    }
  });

  it('overrides browser requests under the prefix only', async () => {
    const app = await makeApp({ app: join(dir, 'page.html') });
    const accept = 'text/html,application/xhtml+xml,*/*;q=0.8';
    for (const url of ['/api/', '/api/login', '/api/?id=1']) {
      const response = await app.inject({ url, headers: { accept } });
      expect(response.statusCode, url).toBe(200);
      expect(response.body).toBe(APP_PAGE);
    }
    expect((await app.inject({ url: '/api/', headers: { accept: 'application/json' } })).body).toBe(WELCOME_JSON);
    expect((await app.inject({ url: '/', headers: { accept } })).statusCode).toBe(404);
    expect((await app.inject({ url: '/api', headers: { accept } })).statusCode).toBe(301);
  });

  it('keeps redacting stream URLs under the prefix', () => {
    expect(redactUrl('/api/events?token=abc', '/api')).toBe('/api/events?[redacted]');
    expect(redactUrl('/api/ws/abc', '/api')).toBe('/api/ws/[redacted]');
    // Outside the prefix it is a 404, but the token in it is still a token.
    expect(redactUrl('/events?token=abc', '/api')).toBe('/events?[redacted]');
  });
});
