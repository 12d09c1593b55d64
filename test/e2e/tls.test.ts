import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RestSettings } from '../../src/config/types.js';
import { tlsOptions } from '../../src/http/transport/tls.js';
import { StartupError } from '../../src/startup-error.js';
import { startServer } from '../../src/server.js';
import { runCli, EXIT_USAGE } from '../../src/main.js';
import { SALTDEV, pageMessage, startApi, type ApiUnderTest } from '../support/api.js';
import { captureIo } from '../support/cli.js';
import { testSettings } from '../support/settings.js';

const OPENSSL = '/usr/bin/openssl';
let dir = '';

function openssl(...args: string[]): void {
  execFileSync(OPENSSL, args, { cwd: dir, stdio: 'pipe' });
}

/** A key and a certificate signed by the test CA (`ext`: x509 v3 extensions). */
async function issue(name: string, cn: string, ext: string): Promise<void> {
  openssl(
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${cn}`,
  );
  await writeFile(join(dir, `${name}.ext`), ext);
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    `${name}.crt`,
    '-extfile',
    `${name}.ext`,
  );
}

const file = (name: string): string => join(dir, name);
const pem = (name: string): string => readFileSync(file(name), 'utf8');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'salt-apid-tls-'));
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=salt-apid test CA',
  );
  await issue('server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await issue('allowed', 'gui-client', 'extendedKeyUsage=clientAuth\n');
  await issue('other', 'intruder', 'extendedKeyUsage=clientAuth\n');
  await mkdir(join(dir, 'cadir'));
  await copyFile(file('ca.crt'), join(dir, 'cadir', 'ca.pem'));
  await writeFile(join(dir, 'cadir', 'README'), 'not a certificate\n');
  await writeFile(
    join(dir, 'garbage.pem'),
    '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n',
  );
}, 30_000);

afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

interface Reply {
  status: number;
  body: string;
}

function get(url: string, options: RequestOptions = {}, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca: pem('ca.crt'), ...options }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const client = (name: string): RequestOptions => ({ cert: pem(`${name}.crt`), key: pem(`${name}.key`) });

const loginRequest = (name: string): [RequestOptions, string] => [
  { ...client(name), method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' } },
  JSON.stringify(SALTDEV),
];

const tlsRest = (extra: Partial<RestSettings> = {}): Partial<RestSettings> => ({
  disableSsl: false,
  sslCrt: file('server.crt'),
  sslKey: file('server.key'),
  ...extra,
});

const apis: ApiUnderTest[] = [];
async function serve(extra: Partial<RestSettings> = {}): Promise<ApiUnderTest> {
  const api = await startApi({ settings: { rest: tlsRest(extra) } });
  apis.push(api);
  return api;
}

afterEach(async () => {
  await Promise.all(apis.splice(0).map((api) => api.close()));
});

describe('TLS serving', () => {
  it('serves HTTPS with ssl_crt/ssl_key and refuses plain HTTP on the same port', async () => {
    const api = await serve();
    expect(api.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const reply = await get(`${api.url}/`, { headers: { accept: 'application/json' } });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ return: 'Welcome' });

    const plain = api.url.replace('https:', 'http:');
    await expect(
      new Promise((resolve, reject) => {
        const req = httpRequest(`${plain}/`, (res) => {
          res.resume();
          resolve(res.statusCode);
        });
        req.on('error', reject);
        req.end();
      }),
    ).rejects.toThrow();
  });

  it('marks the session cookie Secure (with HttpOnly and SameSite=Lax)', async () => {
    const api = await serve();
    const cookie = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest(
        `${api.url}/login`,
        { ca: pem('ca.crt'), method: 'POST', headers: { 'content-type': 'application/json' } },
        (res) => {
          res.resume();
          resolve(String(res.headers['set-cookie']?.[0]));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(SALTDEV));
    });
    expect(cookie).toMatch(
      /^session_id=[0-9a-f]{40}; expires=[^;]+; Max-Age=36000; Path=\/; HttpOnly; SameSite=Lax; Secure$/,
    );
  });

  it('sends ssl_chain after the server certificate', async () => {
    const options = await tlsOptions({ ...testSettings().rest, ...tlsRest({ sslChain: file('ca.crt') }) });
    expect(options?.cert).toBe(`${pem('server.crt').trim()}\n${pem('ca.crt').trim()}`);
    expect(options?.requestCert).toBeUndefined();
  });

  it('maps ssl_cert_reqs and ssl_ca_certs (a file or a directory) onto the TLS options', async () => {
    const rest = testSettings().rest;
    const optional = await tlsOptions({
      ...rest,
      ...tlsRest({ sslCertReqs: 'CERT_OPTIONAL', sslCaCerts: file('cadir') }),
    });
    expect(optional).toMatchObject({ requestCert: true, rejectUnauthorized: false, ca: [pem('ca.crt').trim()] });
    const required = await tlsOptions({
      ...rest,
      ...tlsRest({ sslCertReqs: 'CERT_REQUIRED', sslCaCerts: file('ca.crt') }),
    });
    expect(required).toMatchObject({ requestCert: true, rejectUnauthorized: true });
    const caOnly = await tlsOptions({ ...rest, ...tlsRest({ sslCaCerts: file('ca.crt') }) });
    expect(caOnly).toMatchObject({ requestCert: true, rejectUnauthorized: false });
    expect(await tlsOptions({ ...rest, disableSsl: true, sslCrt: undefined, sslKey: undefined })).toBeUndefined();
  });
});

describe('client certificates (ssl_cert_reqs, ssl_ca_certs, ssl_allowed_cn)', () => {
  const required = { sslCertReqs: 'CERT_REQUIRED' } as const;

  it('CERT_REQUIRED: no client certificate fails the handshake', async () => {
    const api = await serve({ ...required, sslCaCerts: file('ca.crt'), sslAllowedCn: ['gui-client'] });
    await expect(get(`${api.url}/`)).rejects.toThrow();
  });

  it('an allowed CN logs in; another CN gets 403 "Client certificate CN not allowed"; /app is not checked', async () => {
    const api = await serve({ ...required, sslCaCerts: file('ca.crt'), sslAllowedCn: ['gui-client'] });
    const ok = await get(`${api.url}/login`, ...loginRequest('allowed'));
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ return: [{ user: 'saltdev' }] });

    const refused = await get(`${api.url}/login`, ...loginRequest('other'));
    expect(refused.status).toBe(403);
    expect(pageMessage(refused.body)).toBe('Client certificate CN not allowed');
    const root = await get(`${api.url}/`, client('other'));
    expect(root.status).toBe(403);

    // Unmatched paths run the hooks too (Fastify's 404 route), so the exemption is what spares /app.
    expect((await get(`${api.url}/no-such-route`, client('other'))).status).toBe(403);
    expect((await get(`${api.url}/app`, client('other'))).status).not.toBe(403);
    expect((await get(`${api.url}/app/deep/link?x=1`, client('other'))).status).not.toBe(403);
  });

  it('CERT_OPTIONAL with ssl_allowed_cn: no certificate → 403, an allowed one → 200', async () => {
    const api = await serve({ sslCertReqs: 'CERT_OPTIONAL', sslCaCerts: file('cadir'), sslAllowedCn: ['gui-client'] });
    const anonymous = await get(`${api.url}/`);
    expect(anonymous.status).toBe(403);
    expect(pageMessage(anonymous.body)).toBe('Client certificate CN not allowed');
    expect((await get(`${api.url}/`, client('allowed'))).status).toBe(200);
  });
});

describe('start-up refusals', () => {
  const logger = pino({ level: 'silent' });

  async function refusal(rest: Partial<RestSettings>): Promise<StartupError> {
    const base = testSettings();
    const error: unknown = await startServer({
      settings: { ...base, rest: { ...base.rest, port: 0, ...rest } },
      logger,
    }).then(
      async (server) => {
        await server.close();
        throw new Error('the server started');
      },
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(StartupError);
    return error as StartupError;
  }

  it('without disable_ssl, ssl_crt and ssl_key are both required', async () => {
    const error = await refusal({ disableSsl: false, sslCrt: file('server.crt'), sslKey: undefined });
    expect(error.message).toContain("'ssl_crt'");
    expect(error.message).toContain("'ssl_key'");
    expect(error.message).toContain('disable_ssl');
    await refusal({ disableSsl: false, sslCrt: undefined, sslKey: undefined });
  });

  it('a missing certificate file is named, with how to make a self-signed one', async () => {
    const missing = file('nope.crt');
    const error = await refusal(tlsRest({ sslCrt: missing }));
    expect(error.message).toContain(missing);
    expect(error.message).toContain('self-signed');
    expect(error.message).toContain('openssl req -x509');
  });

  it('an invalid PEM file, a mismatched key and a CA directory without certificates are named', async () => {
    expect((await refusal(tlsRest({ sslCrt: file('garbage.pem') }))).message).toContain(file('garbage.pem'));
    expect((await refusal(tlsRest({ sslKey: file('ca.crt') }))).message).toContain(file('ca.crt'));
    expect((await refusal(tlsRest({ sslKey: file('other.key') }))).message).toMatch(/does not match/);
    const empty = file('empty-cadir');
    await mkdir(empty, { recursive: true });
    expect((await refusal(tlsRest({ sslCaCerts: empty }))).message).toContain(empty);
  });
});

/** The protocol and cipher a handshake settled on, or the error that ended it. */
function handshake(
  api: ApiUnderTest,
  options: ConnectionOptions,
): Promise<{ protocol: string | null; cipher: string } | { error: string }> {
  const { hostname, port } = new URL(api.url);
  return new Promise((resolve) => {
    const socket = tlsConnect(
      { host: hostname, port: Number(port), ca: pem('ca.crt'), servername: 'localhost', ...options },
      () => {
        resolve({ protocol: socket.getProtocol(), cipher: socket.getCipher().name });
        socket.destroy();
      },
    );
    socket.on('error', (err: Error) => resolve({ error: err.message }));
  });
}

/** A client that speaks nothing newer than TLS 1.1 (and lowers its own OpenSSL security level to offer it). */
const TLS11_ONLY: ConnectionOptions = { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' };
/**
 * A TLS 1.2 client offering only a CBC/SHA-1 suite, which Node's defaults accept and Mozilla's "intermediate"
 * does not.
 */
const LEGACY_CIPHER_ONLY: ConnectionOptions = {
  minVersion: 'TLSv1.2',
  maxVersion: 'TLSv1.2',
  ciphers: 'ECDHE-ECDSA-AES128-SHA',
};

describe('protocol versions and ciphers (ssl_min_version, ssl_ciphers)', () => {
  it('by default refuses TLS 1.1 and a legacy cipher, and serves TLS 1.2 (AEAD suites) and TLS 1.3', async () => {
    const api = await serve();
    expect(await handshake(api, TLS11_ONLY)).toHaveProperty('error');
    expect(await handshake(api, LEGACY_CIPHER_ONLY)).toHaveProperty('error');
    expect(await handshake(api, { maxVersion: 'TLSv1.2' })).toEqual({
      protocol: 'TLSv1.2',
      cipher: 'ECDHE-ECDSA-AES128-GCM-SHA256',
    });
    expect(await handshake(api, { minVersion: 'TLSv1.3' })).toMatchObject({ protocol: 'TLSv1.3' });
  });

  it('the options take effect: ssl_min_version TLSv1.3 refuses TLS 1.2; ssl_ciphers and TLSv1.1 bring the old clients back', async () => {
    const strict = await serve({ sslMinVersion: 'TLSv1.3' });
    expect(await handshake(strict, { maxVersion: 'TLSv1.2' })).toHaveProperty('error');
    expect(await handshake(strict, {})).toMatchObject({ protocol: 'TLSv1.3' });

    const lenient = await serve({ sslMinVersion: 'TLSv1.1', sslCiphers: 'DEFAULT:@SECLEVEL=0' });
    expect(await handshake(lenient, TLS11_ONLY)).toMatchObject({ protocol: 'TLSv1.1' });
    expect(await handshake(lenient, LEGACY_CIPHER_ONLY)).toEqual({
      protocol: 'TLSv1.2',
      cipher: 'ECDHE-ECDSA-AES128-SHA',
    });
  });

  it('a cipher list OpenSSL cannot use stops the start with exit 2 and a one-line message naming ssl_ciphers', async () => {
    const config = file('bad-ciphers.conf');
    await writeFile(
      config,
      `api_logfile: ${file('api.log')}\nrest_cherrypy:\n  port: 8000\n  host: 127.0.0.1\n  ssl_crt: ${file('server.crt')}\n  ssl_key: ${file('server.key')}\n  ssl_ciphers: NO-SUCH-CIPHER\n`,
    );
    const { out, streams } = captureIo();
    const outcome = await runCli(['--config', config, '--log-level', 'silent'], streams);
    expect(outcome).toEqual({ exitCode: EXIT_USAGE });
    expect(out.stderr).toMatch(/^salt-apid: Invalid ssl_ciphers "NO-SUCH-CIPHER": no cipher match\n$/);
  });
});
