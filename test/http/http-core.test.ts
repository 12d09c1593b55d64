import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { VERSION } from '../../src/version.js';
import { renderErrorPage } from '../../src/http/transport/errors.js';
import { testSettings, type SettingsOverrides } from '../support/settings.js';
import {
  InvalidRequestError,
  JobTimeoutError,
  MasterErrorReply,
  MasterUnavailableError,
} from '../../src/salt/errors.js';

const WELCOME_JSON =
  '{"return": "Welcome", "clients": ["destroy", "local", "local_async", "local_batch", "local_subset",' +
  ' "runner", "runner_async", "ssh", "wheel", "wheel_async"]}';

const WELCOME_YAML = `clients:
- destroy
- local
- local_async
- local_batch
- local_subset
- runner
- runner_async
- ssh
- wheel
- wheel_async
return: Welcome
`;

const apps: FastifyInstance[] = [];

async function makeApp(
  overrides: SettingsOverrides = {},
  logger = pino({ level: 'silent' }),
): Promise<FastifyInstance> {
  const app = await buildApp({ settings: testSettings(overrides), logger });
  apps.push(app);
  return app;
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function errorPage(status: number, message: string): string {
  return renderErrorPage({ status, message, traceback: '', version: VERSION });
}

describe('GET /', () => {
  it("answers the welcome document with salt-api's headers", async () => {
    const app = await makeApp();
    const response = await app.inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(WELCOME_JSON);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers['content-length']).toBe(String(Buffer.byteLength(WELCOME_JSON)));
    expect(response.headers.allow).toBe('GET, HEAD, POST');
    expect(response.headers.server).toBe(`salt-apid/${VERSION}`);
    expect(response.headers.vary).toBe('Accept-Encoding');
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.headers['access-control-expose-headers']).toBe('GET, POST');
    expect(response.headers['access-control-allow-credentials']).toBe('true');
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(response.headers['x-salt-version']).toBeUndefined();
  });

  it('answers HEAD with the same headers and no body', async () => {
    const app = await makeApp();
    const response = await app.inject({ method: 'HEAD', url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('');
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers['content-length']).toBe(String(Buffer.byteLength(WELCOME_JSON)));
    expect(response.headers.allow).toBe('GET, HEAD, POST');
  });

  it('answers YAML when the Accept header prefers it', async () => {
    const app = await makeApp();
    for (const accept of ['application/x-yaml', 'application/json, application/x-yaml']) {
      const response = await app.inject({ method: 'GET', url: '/', headers: { accept } });
      expect(response.headers['content-type']).toBe('application/x-yaml');
      expect(response.body).toBe(WELCOME_YAML);
    }
  });

  it('answers JSON to */* and application/*', async () => {
    const app = await makeApp();
    for (const accept of ['*/*', 'application/*', 'text/html, */*']) {
      const response = await app.inject({ method: 'GET', url: '/', headers: { accept } });
      expect(response.body).toBe(WELCOME_JSON);
    }
  });

  it("answers 406 with CherryPy's page when no offered type is acceptable", async () => {
    const app = await makeApp();
    const response = await app.inject({ method: 'GET', url: '/', headers: { accept: 'text/plain' } });
    expect(response.statusCode).toBe(406);
    expect(response.headers['content-type']).toBe('text/html;charset=utf-8');
    expect(response.headers.allow).toBe('GET, HEAD, POST');
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.body).toBe(
      errorPage(
        406,
        'Your client sent this Accept header: text/plain.' +
          ' But this resource only emits these media types: application/json, application/x-yaml.',
      ),
    );
  });

  it('answers 404 to query parameters it does not declare', async () => {
    const app = await makeApp();
    const response = await app.inject({ method: 'GET', url: '/?foo=1' });
    expect(response.statusCode).toBe(404);
    expect(response.body).toBe(errorPage(404, 'Nothing matches the given URI'));
    const debug = await makeApp({ rest: { debug: true } });
    const named = await debug.inject({ method: 'GET', url: '/?foo' });
    expect(named.statusCode).toBe(404);
    expect(named.body).toContain('<p>Unexpected query string parameters: foo</p>');
  });
});

describe('error pages', () => {
  it("renders CherryPy's XHTML template", () => {
    expect(renderErrorPage({ status: 401, message: 'a <b> & c', traceback: '', version: '1.2.3' })).toBe(
      `<!DOCTYPE html PUBLIC
"-//W3C//DTD XHTML 1.0 Transitional//EN"
"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html>
<head>
    <meta http-equiv="Content-Type" content="text/html; charset=utf-8"></meta>
    <title>401 Unauthorized</title>
    <style type="text/css">
    #powered_by {
        margin-top: 20px;
        border-top: 2px solid black;
        font-style: italic;
    }

    #traceback {
        color: red;
    }
    </style>
</head>
    <body>
        <h2>401 Unauthorized</h2>
        <p>a &lt;b&gt; &amp; c</p>
        <pre id="traceback"></pre>
    <div id="powered_by">
      <span>
        Powered by salt-apid 1.2.3
      </span>
    </div>
    </body>
</html>
`,
    );
  });

  it('answers unknown paths with 404 "The path \'/x\' was not found."', async () => {
    const app = await makeApp();
    const response = await app.inject({ method: 'GET', url: '/no/such%20path?x=1' });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toBe('text/html;charset=utf-8');
    expect(response.headers.server).toBe(`salt-apid/${VERSION}`);
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.body).toBe(errorPage(404, "The path '/no/such path' was not found."));
  });

  it('answers other methods with 405 and Allow, before reading any body', async () => {
    const app = await makeApp();
    for (const method of ['PUT', 'DELETE', 'PATCH'] as const) {
      const response = await app.inject({
        method,
        url: '/',
        payload: '<x/>',
        headers: { 'content-type': 'application/xml' },
      });
      expect(response.statusCode, method).toBe(405);
      expect(response.headers.allow).toBe('GET, HEAD, POST');
      expect(response.body).toBe(errorPage(405, 'Specified method is invalid for this resource'));
    }
  });

  it('refuses POST / without a session before reading the body', async () => {
    const app = await makeApp();
    const response = await app.inject({
      method: 'POST',
      url: '/',
      payload: '{broken',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.statusCode).toBe(401);
    expect(response.headers.allow).toBe('GET, HEAD, POST');
    expect(response.body).toBe(errorPage(401, 'No permission -- see authorization schemes'));
  });

  it('maps unexpected errors to the 500 envelope, in the negotiated format', async () => {
    const app = await makeApp();
    app.get('/boom', async () => {
      throw new Error('kaboom');
    });
    const json = await app.inject({ method: 'GET', url: '/boom' });
    expect(json.statusCode).toBe(500);
    expect(json.headers['content-type']).toBe('application/json');
    expect(json.body).toBe('{"status": 500, "return": "An unexpected error occurred"}');
    const yaml = await app.inject({ method: 'GET', url: '/boom', headers: { accept: 'application/x-yaml' } });
    expect(yaml.body).toBe('return: An unexpected error occurred\nstatus: 500\n');
  });

  it('puts the traceback in the 500 envelope with debug', async () => {
    const app = await makeApp({ rest: { debug: true } });
    app.get('/boom', async () => {
      throw new Error('kaboom');
    });
    const response = await app.inject({ method: 'GET', url: '/boom' });
    const body = response.json<{ status: number; return: string }>();
    expect(body.status).toBe(500);
    expect(body.return).toMatch(/^Error: kaboom\n\s+at /);
  });

  it.each([
    [new MasterUnavailableError('no connection to its event bus'), 503, 'Salt Master is not available.'],
    [
      new MasterErrorReply('AuthenticationError', 'Authentication error occurred.'),
      401,
      'Authentication error occurred.',
    ],
    [
      new InvalidRequestError("Invalid client specified: 'bogus'", { saltInvocation: true }),
      400,
      "Invalid client specified: 'bogus'",
    ],
    [new JobTimeoutError('20261123084329757574', 300_000), 504, 'The gateway server did not receive a timely response'],
  ] as const)('maps wire-layer errors by kind: %s', async (error, status, message) => {
    const app = await makeApp();
    app.get('/failing', async () => {
      throw error;
    });
    const response = await app.inject({ method: 'GET', url: '/failing' });
    expect(response.statusCode).toBe(status);
    expect(response.body).toBe(errorPage(status, message));
  });

  it("answers salt-apid's own 400s (where salt-api fails with its 500 envelope) in that envelope, JSON or YAML", async () => {
    const app = await makeApp();
    app.get('/refused', async () => {
      throw new InvalidRequestError("Missing 'tgt' in a local chunk (it needs 'tgt' and 'fun')");
    });
    const json = await app.inject({ method: 'GET', url: '/refused' });
    expect(json.statusCode).toBe(400);
    expect(json.body).toBe(
      '{"status": 400, "return": "Missing \'tgt\' in a local chunk (it needs \'tgt\' and \'fun\')"}',
    );
    const yaml = await app.inject({ method: 'GET', url: '/refused', headers: { accept: 'application/x-yaml' } });
    expect(yaml.headers['content-type']).toBe('application/x-yaml');
    expect(yaml.body).toBe("return: Missing 'tgt' in a local chunk (it needs 'tgt' and 'fun')\nstatus: 400\n");
  });

  it('answers 500 when the result cannot be serialised', async () => {
    const app = await makeApp();
    app.get('/cyclic', async (_request, reply) => {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      return reply.sendSalt(cyclic);
    });
    const response = await app.inject({ method: 'GET', url: '/cyclic' });
    expect(response.statusCode).toBe(500);
    expect(response.body).toContain('<p>Could not serialize the return data from Salt.</p>');
  });
});

describe('CORS', () => {
  it('with cors_origin "*", reflects the Origin on every response, errors included', async () => {
    const app = await makeApp({ rest: { corsOrigin: '*' } });
    for (const url of ['/', '/nowhere']) {
      const response = await app.inject({ method: 'GET', url, headers: { origin: 'https://gui.example' } });
      expect(response.headers['access-control-allow-origin']).toBe('https://gui.example');
      expect(response.headers['access-control-expose-headers']).toBe('GET, POST');
      expect(response.headers['access-control-allow-credentials']).toBe('true');
    }
  });

  it('answers a preflight with 200, an empty body and the preflight headers, without auth', async () => {
    const app = await makeApp({ rest: { corsOrigin: 'https://gui.example' } });
    for (const url of ['/', '/login', '/minions/x']) {
      const response = await app.inject({
        method: 'OPTIONS',
        url,
        headers: {
          origin: 'https://gui.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'x-auth-token, content-type',
        },
      });
      expect(response.statusCode, url).toBe(200);
      expect(response.body).toBe('');
      expect(response.headers['access-control-allow-origin']).toBe('https://gui.example');
      expect(response.headers['access-control-allow-methods']).toBe('GET, POST');
      expect(response.headers['access-control-allow-headers']).toBe('Content-Type, X-Auth-Token, X-Requested-With');
      expect(response.headers['access-control-max-age']).toBe('1400');
      expect(response.headers['access-control-allow-credentials']).toBe('true');
    }
  });

  it('leaves the method headers out of a preflight for other methods', async () => {
    const app = await makeApp();
    const response = await app.inject({
      method: 'OPTIONS',
      url: '/',
      headers: { 'access-control-request-method': 'PUT' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['access-control-allow-methods']).toBeUndefined();
    expect(response.headers['access-control-allow-origin']).toBe('*');
  });

  it('reflects only the configured origins with cors_origin', async () => {
    const app = await makeApp({ rest: { corsOrigin: ['https://a.example', 'https://b.example'] } });
    const allowed = await app.inject({ method: 'GET', url: '/', headers: { origin: 'https://b.example' } });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://b.example');
    const refused = await app.inject({ method: 'GET', url: '/', headers: { origin: 'https://evil.example' } });
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    expect(refused.statusCode).toBe(200);
  });

  it("without cors_origin, reflects no foreign origin (nor null), only the server's own", async () => {
    const app = await makeApp();
    for (const origin of [
      'https://evil.example',
      'null',
      'http://127.0.0.1:8000.evil.example',
      'http://127.0.0.1:8001',
    ]) {
      for (const method of ['GET', 'OPTIONS'] as const) {
        const response = await app.inject({
          method,
          url: '/',
          headers: { origin, host: '127.0.0.1:8000', 'access-control-request-method': 'POST' },
        });
        expect(response.headers['access-control-allow-origin'], `${method} ${origin}`).toBeUndefined();
      }
    }
    const same = await app.inject({
      method: 'GET',
      url: '/',
      headers: { origin: 'http://127.0.0.1:8000', host: '127.0.0.1:8000' },
    });
    expect(same.headers['access-control-allow-origin']).toBe('http://127.0.0.1:8000');
    const noOrigin = await app.inject({ method: 'GET', url: '/' });
    expect(noOrigin.headers['access-control-allow-origin']).toBe('*');
  });

  it('never reflects the null origin under "*", only when listed; ["*", "null"] is salt-api\'s behaviour', async () => {
    const star = await makeApp({ rest: { corsOrigin: '*' } });
    const refused = await star.inject({ method: 'GET', url: '/', headers: { origin: 'null' } });
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    const any = await star.inject({ method: 'GET', url: '/', headers: { origin: 'https://any.example' } });
    expect(any.headers['access-control-allow-origin']).toBe('https://any.example');

    const saltApi = await makeApp({ rest: { corsOrigin: ['*', 'null'] } });
    for (const origin of ['null', 'https://any.example']) {
      const response = await saltApi.inject({ method: 'GET', url: '/', headers: { origin } });
      expect(response.headers['access-control-allow-origin']).toBe(origin);
      expect(response.headers['access-control-allow-credentials']).toBe('true');
    }
  });
});

describe('request logging', () => {
  it('never writes tokens from headers, cookies or /events URLs', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const app = await makeApp({}, pino({ level: 'debug' }, sink));
    const secret = 'a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2';
    await app.inject({
      method: 'GET',
      url: `/events?token=${secret}`,
      headers: { 'x-auth-token': secret, cookie: `session_id=${secret}` },
    });
    await app.inject({ method: 'GET', url: `/events/${secret}` });
    await app.inject({ method: 'GET', url: `/ws/${secret}?format_events` });
    await app.inject({ method: 'GET', url: '/?foo=bar' });
    const log = lines.join('');
    expect(log).toContain('incoming request');
    expect(log).not.toContain(secret);
    expect(log).toContain('"url":"/events?[redacted]"');
    expect(log).toContain('"url":"/events/[redacted]"');
    expect(log).toContain('"url":"/ws/[redacted]"');
    expect(log).toContain('"url":"/?foo=bar"');
  });
});
