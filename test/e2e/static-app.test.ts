import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { wantsHtml } from '../../src/http/transport/html-override.js';
import { DEMO_APP_PAGE } from '../../src/http/routes/static.js';
import { testSettings, type SettingsOverrides } from '../support/settings.js';
import { fuzzRuns, fuzzTimeout } from '../support/fuzz.js';

const WELCOME_JSON =
  '{"return": "Welcome", "clients": ["destroy", "local", "local_async", "local_batch", "local_subset",' +
  ' "runner", "runner_async", "ssh", "wheel", "wheel_async"]}';
const APP_PAGE = '<!DOCTYPE html><html><body>SaltGUI</body></html>\n';
const MTIME = new Date('2026-01-02T03:04:05Z');
const SECRET = 'secret-outside-7d1e';
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

let dir: string;
let staticDir: string;
let appFile: string;
let faviconFile: string;
/** What the static directory holds, by content: nothing else may come out of it. */
const STATIC_CONTENTS = new Set<string>();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'salt-apid-static-'));
  staticDir = join(dir, 'www');
  mkdirSync(join(staticDir, 'sub'), { recursive: true });
  const files: Record<string, string> = {
    'index.html': '<p>hi</p>',
    'app.js': 'console.log(1);',
    'style.css': 'body{}',
    'data.json': '{"a": 1}',
    'logo.svg': '<svg/>',
    'font.woff2': 'wOF2',
    'app.js.map': '{}',
    'notes.txt': 'text',
    'blob.bin': 'xx',
    'sub/deep file.txt': 'deep',
  };
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(staticDir, name), content);
    STATIC_CONTENTS.add(content);
    utimesSync(join(staticDir, name), MTIME, MTIME);
  }
  writeFileSync(join(dir, 'secret.txt'), SECRET);
  appFile = join(dir, 'index.html');
  writeFileSync(appFile, APP_PAGE);
  faviconFile = join(dir, 'favicon.ico');
  writeFileSync(faviconFile, 'ICO');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const apps: FastifyInstance[] = [];

async function makeApp(rest: SettingsOverrides['rest'] = {}): Promise<FastifyInstance> {
  const app = await buildApp({ settings: testSettings({ rest }), logger: pino({ level: 'silent' }) });
  apps.push(app);
  return app;
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

/** A GET with the path sent exactly as written (inject and fetch normalise `..`). */
function rawGetAt(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function rawGet(app: FastifyInstance, path: string): Promise<{ status: number; body: string }> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return rawGetAt((app.server.address() as AddressInfo).port, path);
}

describe('static files', () => {
  // CherryPy's serve_file sends Python's mimetypes as they are: no charset, text types included.
  it.each([
    ['index.html', 'text/html', '<p>hi</p>'],
    ['app.js', 'text/javascript', 'console.log(1);'],
    ['style.css', 'text/css', 'body{}'],
    ['data.json', 'application/json', '{"a": 1}'],
    ['logo.svg', 'image/svg+xml', '<svg/>'],
    ['font.woff2', 'font/woff2', 'wOF2'],
    ['app.js.map', 'application/json', '{}'],
    ['notes.txt', 'text/plain', 'text'],
    ['blob.bin', 'application/octet-stream', 'xx'],
    ['sub/deep%20file.txt', 'text/plain', 'deep'],
  ])('serves %s as %s', async (name, type, body) => {
    const app = await makeApp({ static: staticDir });
    const response = await app.inject({ url: `/static/${name}` });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe(type);
    expect(response.body).toBe(body);
    expect(response.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(response.headers['last-modified']).toBe(MTIME.toUTCString());
    expect(response.headers['accept-ranges']).toBe('bytes');
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(response.headers['access-control-allow-origin']).toBe('*');
  });

  it('answers HEAD with the headers and no body', async () => {
    const app = await makeApp({ static: staticDir });
    const response = await app.inject({ method: 'HEAD', url: '/static/app.js' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('');
    expect(response.headers['content-length']).toBe('15');
    expect(response.headers['content-type']).toBe('text/javascript');
  });

  it('answers 304 to If-Modified-Since at or after the modification time', async () => {
    const app = await makeApp({ static: staticDir });
    for (const since of [MTIME, new Date(MTIME.getTime() + 60_000)]) {
      const response = await app.inject({
        url: '/static/app.js',
        headers: { 'if-modified-since': since.toUTCString() },
      });
      expect(response.statusCode).toBe(304);
      expect(response.body).toBe('');
      expect(response.headers['last-modified']).toBe(MTIME.toUTCString());
      expect(response.headers['content-type']).toBeUndefined();
    }
    const older = await app.inject({
      url: '/static/app.js',
      headers: { 'if-modified-since': new Date(MTIME.getTime() - 1000).toUTCString() },
    });
    expect(older.statusCode).toBe(200);
    expect(older.body).toBe('console.log(1);');
  });

  it('answers the 404 page for a missing file or a directory', async () => {
    const app = await makeApp({ static: staticDir });
    for (const url of ['/static/missing.js', '/static/sub', '/static/sub/', '/static', '/static/']) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(404);
      expect(response.headers['content-type']).toBe('text/html;charset=utf-8');
    }
    const missing = await app.inject({ url: '/static/missing.js' });
    expect(missing.body).toContain("The path '/static/missing.js' was not found.");
  });

  it('is not served when static is unset', async () => {
    const app = await makeApp();
    expect((await app.inject({ url: '/static/app.js' })).statusCode).toBe(404);
  });

  it('honours static_path', async () => {
    const app = await makeApp({ static: staticDir, staticPath: '/assets/' });
    expect((await app.inject({ url: '/assets/app.js' })).body).toBe('console.log(1);');
    expect((await app.inject({ url: '/static/app.js' })).statusCode).toBe(404);
  });

  it.each([
    '/static/../secret.txt',
    '/static/%2e%2e/secret.txt',
    '/static/%2E%2E%2Fsecret.txt',
    '/static/sub/..%2f..%2fsecret.txt',
  ])('refuses traversal %s with 403', async (path) => {
    const app = await makeApp({ static: staticDir });
    const response = await rawGet(app, path);
    expect(response.status).toBe(403);
    expect(response.body).not.toContain('secret');
  });

  it('serves a path whose .. stays inside the directory', async () => {
    const app = await makeApp({ static: staticDir });
    const response = await rawGet(app, '/static/sub/..%2fnotes.txt');
    expect(response).toEqual({ status: 200, body: 'text' });
  });
});

describe('static files: ranges, ETags and traversal', () => {
  it('answers a Range with 206, the bytes asked for and Content-Range', async () => {
    const app = await makeApp({ static: staticDir });
    for (const [range, body, contentRange] of [
      ['bytes=0-6', 'console', 'bytes 0-6/15'],
      ['bytes=8-', 'log(1);', 'bytes 8-14/15'],
      ['bytes=-3', '1);', 'bytes 12-14/15'],
    ] as const) {
      const response = await app.inject({ url: '/static/app.js', headers: { range } });
      expect(response.statusCode, range).toBe(206);
      expect(response.body).toBe(body);
      expect(response.headers['content-range']).toBe(contentRange);
      expect(response.headers['content-length']).toBe(String(body.length));
      expect(response.headers['content-type']).toBe('text/javascript');
    }
  });

  it("answers an unsatisfiable Range with 416 and CherryPy's page", async () => {
    const app = await makeApp({ static: staticDir });
    const response = await app.inject({ url: '/static/app.js', headers: { range: 'bytes=100-200' } });
    expect(response.statusCode).toBe(416);
    expect(response.headers['content-range']).toBe('bytes */15');
    expect(response.headers['content-type']).toBe('text/html;charset=utf-8');
    expect(response.body).toContain('Invalid Range (first-byte-pos greater than Content-Length)');
    expect(response.body).toContain('416 Requested Range Not Satisfiable');
  });

  it('answers If-None-Match with the ETag with 304, and another with the file', async () => {
    const app = await makeApp({ static: staticDir, app: appFile });
    for (const url of ['/static/app.js', '/app']) {
      const first = await app.inject({ url });
      const etag = first.headers.etag;
      expect(etag, url).toMatch(/^W\/"[0-9a-f]+-[0-9a-f]+"$/);
      const again = await app.inject({ url, headers: { 'if-none-match': String(etag) } });
      expect(again.statusCode, url).toBe(304);
      expect(again.body).toBe('');
      expect(again.headers['content-type']).toBeUndefined();
      const other = await app.inject({ url, headers: { 'if-none-match': 'W/"0-0"' } });
      expect(other.statusCode, url).toBe(200);
      const precondition = await app.inject({ url, headers: { 'if-match': '"0-0"' } });
      expect(precondition.statusCode, url).toBe(412);
    }
  });

  it('answers HEAD on the app page with its length and no body', async () => {
    const app = await makeApp({ app: appFile });
    const response = await app.inject({ method: 'HEAD', url: '/app/deep' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('');
    expect(response.headers['content-length']).toBe(String(Buffer.byteLength(APP_PAGE)));
  });

  it(
    'never serves anything from outside the directory, however the path is spelled',
    async () => {
      const app = await makeApp({ static: staticDir, app: appFile, favicon: faviconFile });
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.server.address() as AddressInfo;
      const piece = fc.constantFrom(
        ...['..', '.', '%2e%2e', '%2E%2e', '.%2e', '%2f', '%2F', '%5c', '\\', '%00', '%252e%252e', '/', '//'],
        ...['sub', 'secret.txt', 'notes.txt', 'index.html', 'favicon.ico', 'www', '%2e', '..%2f', '%c0%ae'],
      );
      await fc.assert(
        fc.asyncProperty(fc.array(piece, { minLength: 1, maxLength: 8 }), fc.boolean(), async (pieces, slashes) => {
          const path = `/static/${pieces.join(slashes ? '/' : '')}`;
          const { status, body } = await rawGetAt(port, path);
          expect([200, 400, 403, 404], path).toContain(status);
          expect(body, path).not.toContain(SECRET);
          if (status === 200) expect(STATIC_CONTENTS.has(body), `${path} gave ${body}`).toBe(true);
        }),
        fuzzRuns(4711, 400),
      );
    },
    fuzzTimeout(30_000),
  );
});

describe('app', () => {
  it('serves the app file at app_path and below it', async () => {
    const app = await makeApp({ app: appFile });
    for (const url of ['/app', '/app/', '/app/x/y', '/app/minions?x=1']) {
      const response = await app.inject({ url, headers: { accept: 'application/json' } });
      expect(response.statusCode, url).toBe(200);
      expect(response.body).toBe(APP_PAGE);
      expect(response.headers['content-type']).toBe('text/html;charset=utf-8');
      expect(response.headers.allow).toBe('GET, HEAD');
      expect(response.headers['set-cookie']).toBeUndefined();
    }
  });

  it('answers other methods at app_path with 405', async () => {
    const app = await makeApp({ app: appFile });
    const response = await app.inject({ method: 'POST', url: '/app', headers: { accept: 'text/html' }, payload: {} });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD');
  });

  it('serves the built-in page when app is unset, and honours app_path', async () => {
    const app = await makeApp({ appPath: '/gui' });
    const response = await app.inject({ url: '/gui/deep/link' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(DEMO_APP_PAGE);
    expect(response.headers['content-type']).toBe('text/html;charset=utf-8');
    expect((await app.inject({ url: '/app' })).statusCode).toBe(404);
  });

  it('does not override when app is unset', async () => {
    const app = await makeApp();
    const response = await app.inject({ url: '/', headers: { accept: BROWSER_ACCEPT } });
    expect(response.body).toBe(WELCOME_JSON);
  });
});

describe('HTML override', () => {
  it('decides on the Accept header as salt-api does', () => {
    expect(wantsHtml(undefined)).toBe(true);
    expect(wantsHtml('')).toBe(true);
    expect(wantsHtml(BROWSER_ACCEPT)).toBe(true);
    expect(wantsHtml('application/json, text/plain, */*')).toBe(true);
    expect(wantsHtml('text/*')).toBe(true);
    expect(wantsHtml('*/*')).toBe(false);
    expect(wantsHtml('application/json')).toBe(false);
    expect(wantsHtml('application/x-yaml')).toBe(false);
    expect(wantsHtml('text/html;q=0')).toBe(false);
    expect(wantsHtml('text/event-stream')).toBe(false);
    expect(wantsHtml('text/html;q=bad')).toBe(false);
  });

  it('answers browser requests anywhere with the app page', async () => {
    const app = await makeApp({ app: appFile });
    for (const url of ['/', '/login', '/?id=1', '/minions/x', '/nowhere']) {
      const response = await app.inject({ url, headers: { accept: BROWSER_ACCEPT } });
      expect(response.statusCode, url).toBe(200);
      expect(response.body).toBe(APP_PAGE);
      expect(response.headers['content-type']).toBe('text/html;charset=utf-8');
      expect(response.headers['set-cookie']).toBeUndefined();
    }
    const noAccept = await app.inject({ url: '/' });
    expect(noAccept.body).toBe(APP_PAGE);
  });

  it('leaves API requests alone', async () => {
    const app = await makeApp({ app: appFile });
    for (const accept of ['application/json', '*/*']) {
      const response = await app.inject({ url: '/', headers: { accept } });
      expect(response.body).toBe(WELCOME_JSON);
      expect(response.headers['content-type']).toBe('application/json');
    }
    const login = await app.inject({ url: '/login', headers: { accept: 'application/json' } });
    expect(login.headers['www-authenticate']).toBe('Session');
  });

  it('applies to every method: POST /login asking for HTML gets the page', async () => {
    const app = await makeApp({ app: appFile });
    const response = await app.inject({
      method: 'POST',
      url: '/login',
      headers: { accept: 'text/html' },
      payload: { username: 'x', password: 'y', eauth: 'pam' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(APP_PAGE);
    expect(response.headers['x-auth-token']).toBeUndefined();
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('does not touch static files or the favicon', async () => {
    const app = await makeApp({ app: appFile, static: staticDir, favicon: faviconFile });
    const js = await app.inject({ url: '/static/app.js', headers: { accept: BROWSER_ACCEPT } });
    expect(js.body).toBe('console.log(1);');
    const icon = await app.inject({ url: '/favicon.ico', headers: { accept: BROWSER_ACCEPT } });
    expect(icon.body).toBe('ICO');
  });
});

describe('favicon', () => {
  it('serves the favicon file at /favicon.ico', async () => {
    const app = await makeApp({ favicon: faviconFile });
    const response = await app.inject({ url: '/favicon.ico' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('ICO');
    expect(response.headers['content-type']).toBe('image/vnd.microsoft.icon');
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('is a 404 without the option', async () => {
    const app = await makeApp();
    expect((await app.inject({ url: '/favicon.ico' })).statusCode).toBe(404);
  });
});
