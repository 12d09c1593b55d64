/**
 * TLS serving (the `ssl_*` options and `disable_ssl`; docs/routes.md
 * "Configuration, TLS and logging") and the client-certificate CN filter (`ssl_allowed_cn`, 403
 * after the auth gate; docs/routes.md "Request pipeline order").
 *
 * salt-api leaves protocol versions and ciphers to CherryPy's and Python's defaults; salt-apid sets
 * them itself: TLS 1.2 at least (`ssl_min_version`) and Mozilla's "intermediate" cipher list
 * (`ssl_ciphers`, DEFAULT_SSL_CIPHERS), so that neither Node's nor the system's OpenSSL defaults
 * (or a `--tls-min-v1.0` in NODE_OPTIONS) decide what the API accepts.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServerOptions } from 'node:https';
import { TLSSocket, createSecureContext } from 'node:tls';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { RestSettings } from '../../config/types.js';
import { StartupError } from '../../startup-error.js';
import { HttpError } from './errors.js';
import { assetPathMatcher, pathOf } from './paths.js';
import { PLUGIN } from '../plugin-names.js';
import { errorCode } from '../../error-fields.js';

export const CN_NOT_ALLOWED = 'Client certificate CN not allowed';

/** What the start says of `ssl_allowed_cn` when the TLS settings ask for no client certificate. */
export const ALLOWED_CN_UNREQUESTED =
  'ssl_allowed_cn is set but no client certificate is requested: every API request will be refused (403)';

const SELF_SIGNED_HINT =
  'to quickly generate a self-signed certificate: openssl req -x509 -newkey rsa:2048 -nodes -days 365 ' +
  '-subj /CN=localhost -keyout salt-api.key -out salt-api.crt';

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** A PEM file's text; a missing or unreadable file is a StartupError naming the option. */
export async function readPem(option: string, path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    const code = errorCode(cause);
    if (code === 'ENOENT') {
      const hint = option === 'ssl_crt' || option === 'ssl_key' ? `; ${SELF_SIGNED_HINT}` : '';
      throw new StartupError(`Could not find ${what} ${path} (${option})${hint}`, { cause });
    }
    throw new StartupError(`Cannot read ${what} ${path} (${option}): ${code ?? String(cause)}`, { cause });
  }
}

/** The PEM certificate blocks of `text`, each checked to parse; none → StartupError. */
function certificates(option: string, path: string, text: string): string[] {
  const blocks = text.match(PEM_CERT) ?? [];
  if (blocks.length === 0) throw new StartupError(`${path} (${option}) holds no PEM certificate`);
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (cause) {
      throw new StartupError(`${path} (${option}) is not a valid PEM certificate`, { cause });
    }
  }
  return blocks;
}

function privateKey(path: string, text: string): KeyObject {
  try {
    return createPrivateKey(text);
  } catch (cause) {
    throw new StartupError(`${path} (ssl_key) is not a valid unencrypted PEM private key`, { cause });
  }
}

/** `ssl_ca_certs`: one PEM file, or a directory whose files hold PEM certificates (others skipped). */
async function caCertificates(path: string): Promise<string[]> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (cause) {
    throw new StartupError(`Could not find the CA certificates ${path} (ssl_ca_certs)`, { cause });
  }
  if (!isDirectory)
    return certificates('ssl_ca_certs', path, await readPem('ssl_ca_certs', path, 'the CA certificates'));
  const found: string[] = [];
  for (const name of (await readdir(path)).sort()) {
    const file = join(path, name);
    if (!(await stat(file).catch(() => undefined))?.isFile()) continue;
    const text = await readPem('ssl_ca_certs', file, 'the CA certificate');
    if (text.match(PEM_CERT)) found.push(...certificates('ssl_ca_certs', file, text));
  }
  if (found.length === 0) throw new StartupError(`${path} (ssl_ca_certs) holds no PEM certificate`);
  return found;
}

/** `ssl_ciphers` must name at least one cipher OpenSSL knows (checked even with `disable_ssl`). */
export function checkCipherList(ciphers: string): void {
  const problem = ciphers.trim() === '' ? 'it is empty' : cipherListProblem(ciphers);
  if (problem !== undefined) throw new StartupError(`Invalid ssl_ciphers ${JSON.stringify(ciphers)}: ${problem}`);
}

function cipherListProblem(ciphers: string): string | undefined {
  try {
    createSecureContext({ ciphers });
    return undefined;
  } catch (cause) {
    return (cause as Error).message.replace(/^error:[0-9A-F]+:[^:]*::/, '');
  }
}

/**
 * The `https` server options the `rest_cherrypy` settings ask for, or `undefined` with
 * `disable_ssl`. Enforces salt-api's start-up rules; every refusal is a StartupError.
 */
export async function tlsOptions(rest: RestSettings): Promise<ServerOptions | undefined> {
  checkCipherList(rest.sslCiphers);
  if (rest.disableSsl) return undefined;
  if (rest.sslCrt === undefined || rest.sslCrt === '' || rest.sslKey === undefined || rest.sslKey === '') {
    throw new StartupError("Options 'ssl_crt' and 'ssl_key' are required if SSL is not disabled (disable_ssl)");
  }
  const crtPath = rest.sslCrt;
  const keyPath = rest.sslKey;
  const crtText = await readPem('ssl_crt', crtPath, 'a certificate');
  const keyText = await readPem('ssl_key', keyPath, 'a private key');
  const serverCerts = certificates('ssl_crt', crtPath, crtText);
  const key = privateKey(keyPath, keyText);
  const leaf = new X509Certificate(serverCerts[0] ?? '');
  if (!leaf.checkPrivateKey(key)) {
    throw new StartupError(`The private key ${keyPath} (ssl_key) does not match the certificate ${crtPath} (ssl_crt)`);
  }
  const chain =
    rest.sslChain === undefined || rest.sslChain === ''
      ? []
      : certificates('ssl_chain', rest.sslChain, await readPem('ssl_chain', rest.sslChain, 'the certificate chain'));

  const options: ServerOptions = {
    cert: [...serverCerts, ...chain].join('\n'),
    key: keyText,
    minVersion: rest.sslMinVersion,
    ciphers: rest.sslCiphers,
  };
  const caPath = rest.sslCaCerts === '' ? undefined : rest.sslCaCerts;
  if (caPath !== undefined) options.ca = await caCertificates(caPath);
  const reqs = rest.sslCertReqs;
  if (caPath !== undefined || reqs === 'CERT_OPTIONAL' || reqs === 'CERT_REQUIRED') {
    options.requestCert = true;
    options.rejectUnauthorized = reqs === 'CERT_REQUIRED';
  }
  try {
    createSecureContext(options);
  } catch (cause) {
    throw new StartupError(
      `Unusable TLS settings (ssl_crt ${crtPath}, ssl_key ${keyPath}): ${(cause as Error).message}`,
      { cause },
    );
  }
  return options;
}

/** The subject CNs of the request's client certificate, if the TLS layer verified one. */
export function verifiedClientCns(request: FastifyRequest): string[] {
  const socket = request.raw.socket;
  if (!(socket instanceof TLSSocket) || !socket.authorized) return [];
  const cn: string | string[] | undefined = socket.getPeerCertificate().subject?.CN;
  if (cn === undefined) return [];
  return (Array.isArray(cn) ? cn : [cn]).filter((name) => name !== '');
}

/**
 * `ssl_allowed_cn`: every API route answers 403 "Client certificate CN not allowed" unless the
 * request came with a verified client certificate whose subject CN is in the list (a certificate
 * with several CNs needs all of them listed). `app_path`, `static_path` and `/favicon.ico` are not
 * checked. A preHandler hook, so it runs after the routes' auth gates and body parsing
 * (docs/routes.md "Request pipeline order").
 */
async function clientCertCheck(app: FastifyInstance): Promise<void> {
  const { rest } = app.settings;
  if (rest.sslAllowedCn === undefined) return;
  const allowed = new Set(rest.sslAllowedCn);
  const isAsset = assetPathMatcher(rest);
  app.addHook('preHandler', async (request) => {
    if (isAsset(pathOf(request.raw.url ?? request.url))) return;
    const cns = verifiedClientCns(request);
    if (cns.length === 0 || !cns.every((cn) => allowed.has(cn))) throw new HttpError(403, CN_NOT_ALLOWED);
  });
}

export const clientCertCheckPlugin = fp(clientCertCheck, {
  name: PLUGIN.clientCertCheck,
  decorators: { fastify: ['settings'] },
});
