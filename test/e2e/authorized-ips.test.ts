import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { BAD_IP, normalizeAddress } from '../../src/http/auth/authorized-ips.js';
import { json, login, pageMessage, SALTDEV, startApi, type ApiUnderTest } from '../support/api.js';

/**
 * `authorized_ips` (docs/routes.md "Request pipeline order" and
 * "Deliberate differences from salt-api"): the socket peer address decides, never a `Remote-Addr` /
 * `X-Forwarded-For` header; 401 before 403.
 *
 * The app is built next to the running server's master, netapi and session store, with
 * `authorized_ips` in its settings, and driven by inject with a chosen peer address.
 */
const apis: ApiUnderTest[] = [];
const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  for (const api of apis.splice(0)) await api.close();
});

async function setup(ips: string[] | undefined): Promise<{ api: ApiUnderTest; app: FastifyInstance }> {
  const api = await startApi();
  apis.push(api);
  const { server } = api;
  const { settings } = server.app;
  const app = await buildApp({
    settings: { ...settings, rest: { ...settings.rest, authorizedIps: ips } },
    logger: pino({ level: 'silent' }),
    master: server.master,
    netapi: server.netapi,
    sessions: server.sessions,
    events: server.master.bus,
  });
  await app.ready();
  apps.push(app);
  return { api, app };
}

const PING = [{ client: 'local', tgt: '*', fun: 'test.ping' }];

describe('normalizeAddress', () => {
  it('unwraps IPv4-mapped IPv6 and lower-cases IPv6', () => {
    expect(normalizeAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeAddress('::FFFF:10.0.0.1')).toBe('10.0.0.1');
    expect(normalizeAddress('FE80::1%eth0')).toBe('fe80::1');
    expect(normalizeAddress('::1')).toBe('::1');
  });
});

describe('authorized_ips', () => {
  it('lets listed peers through on GET /, /login and authenticated routes', async () => {
    const { api, app } = await setup(['127.0.0.1']);
    const root = await app.inject({ method: 'GET', url: '/', remoteAddress: '127.0.0.1' });
    expect(root.statusCode).toBe(200);
    const mapped = await app.inject({ method: 'GET', url: '/', remoteAddress: '::ffff:127.0.0.1' });
    expect(mapped.statusCode).toBe(200);
    const loginReply = await app.inject({
      method: 'POST',
      url: '/login',
      remoteAddress: '127.0.0.1',
      payload: SALTDEV,
    });
    expect(loginReply.statusCode).toBe(200);
    const { token } = await login(api);
    const run = await app.inject({
      method: 'POST',
      url: '/',
      remoteAddress: '127.0.0.1',
      headers: { 'x-auth-token': token, accept: 'application/json' },
      payload: PING,
    });
    expect(run.statusCode).toBe(200);
  });

  it('refuses other peers with 403 "Bad IP" on GET / and /login', async () => {
    const { app } = await setup(['127.0.0.1']);
    const root = await app.inject({ method: 'GET', url: '/', remoteAddress: '10.9.8.7' });
    expect(root.statusCode).toBe(403);
    expect(pageMessage(root.body)).toBe(BAD_IP);
    const loginReply = await app.inject({ method: 'POST', url: '/login', remoteAddress: '10.9.8.7', payload: SALTDEV });
    expect(loginReply.statusCode).toBe(403);
    expect(pageMessage(loginReply.body)).toBe(BAD_IP);
  });

  it('never trusts Remote-Addr or X-Forwarded-For', async () => {
    const { app } = await setup(['127.0.0.1']);
    const spoofed = await app.inject({
      method: 'GET',
      url: '/',
      remoteAddress: '10.9.8.7',
      headers: { 'remote-addr': '127.0.0.1', 'x-forwarded-for': '127.0.0.1', 'x-real-ip': '127.0.0.1' },
    });
    expect(spoofed.statusCode).toBe(403);
    // The other way round: an allowed peer is not refused because of a header.
    const allowed = await app.inject({
      method: 'GET',
      url: '/',
      remoteAddress: '127.0.0.1',
      headers: { 'remote-addr': '10.9.8.7', 'x-forwarded-for': '10.9.8.7' },
    });
    expect(allowed.statusCode).toBe(200);
  });

  it('answers 401 before 403: the auth gate runs first', async () => {
    const { api, app } = await setup(['192.0.2.1']);
    const anonymous = await app.inject({ method: 'POST', url: '/', remoteAddress: '10.9.8.7', payload: PING });
    expect(anonymous.statusCode).toBe(401);
    // An unauthenticated malformed body: still 401 (the body is not read before the gate).
    const malformed = await app.inject({
      method: 'POST',
      url: '/',
      remoteAddress: '10.9.8.7',
      headers: { 'content-type': 'application/json' },
      payload: '{not json',
    });
    expect(malformed.statusCode).toBe(401);
    const { token } = await login(api);
    const authenticated = await app.inject({
      method: 'POST',
      url: '/',
      remoteAddress: '10.9.8.7',
      headers: { 'x-auth-token': token },
      payload: PING,
    });
    expect(authenticated.statusCode).toBe(403);
    expect(pageMessage(authenticated.body)).toBe(BAD_IP);
    const hook = await app.inject({
      method: 'POST',
      url: '/hook/x',
      remoteAddress: '10.9.8.7',
      headers: { 'x-auth-token': token, 'content-length': '0' },
    });
    expect(hook.statusCode).toBe(403);
  });

  it('refuses a CORS preflight with the error page, as any other answer', async () => {
    const { app } = await setup(['192.0.2.1']);
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/',
      remoteAddress: '10.9.8.7',
      headers: { origin: 'http://localhost', 'access-control-request-method': 'POST' },
    });
    expect(preflight.statusCode).toBe(403);
    expect(preflight.headers['content-type']).toBe('text/html;charset=utf-8');
    expect(pageMessage(preflight.body)).toBe(BAD_IP);
  });

  it('does not check the app page and static files', async () => {
    const { app } = await setup(['192.0.2.1']);
    const { appPath, staticPath } = app.settings.rest;
    for (const url of [appPath, `${appPath}/x`, `${staticPath}/x.js`]) {
      const reply = await app.inject({ method: 'GET', url, remoteAddress: '10.9.8.7' });
      expect(reply.statusCode, url).not.toBe(403);
    }
  });

  it('without a list, everyone passes', async () => {
    const { app } = await setup(undefined);
    const root = await app.inject({ method: 'GET', url: '/', remoteAddress: '10.9.8.7' });
    expect(root.statusCode).toBe(200);
  });

  it('the real server answers 403 to a non-listed peer once wired (authorized_ips from settings)', async () => {
    const api = await startApi({ settings: { rest: { authorizedIps: ['192.0.2.1'] } } });
    apis.push(api);
    const root = await api.call('/');
    expect(root.status).toBe(403);
    expect(pageMessage(await root.text())).toBe(BAD_IP);
    const loginReply = await api.call('/login', json(SALTDEV));
    expect(loginReply.status).toBe(403);
  });
});
