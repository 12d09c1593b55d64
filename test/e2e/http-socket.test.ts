// What test/http/http-core.test.ts checks through app.inject, here on a listening socket.
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { VERSION } from '../../src/version.js';
import { testSettings, type SettingsOverrides } from '../support/settings.js';

const WELCOME_JSON =
  '{"return": "Welcome", "clients": ["destroy", "local", "local_async", "local_batch", "local_subset",' +
  ' "runner", "runner_async", "ssh", "wheel", "wheel_async"]}';

const apps: FastifyInstance[] = [];

async function makeApp(overrides: SettingsOverrides = {}): Promise<FastifyInstance> {
  const app = await buildApp({ settings: testSettings(overrides), logger: pino({ level: 'silent' }) });
  apps.push(app);
  return app;
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

describe('over a real socket', () => {
  it('serves GET / on an ephemeral port', async () => {
    const app = await makeApp();
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('server')).toBe(`salt-apid/${VERSION}`);
    expect(response.headers.get('date')).not.toBeNull();
    expect(await response.text()).toBe(WELCOME_JSON);
  });

  it('answers 413 from the declared length, before the body is sent', async () => {
    const app = await makeApp({ rest: { maxRequestBodySize: 1000 } });
    app.post('/echo', async (request, reply) => reply.sendSalt(request.body));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        // Headers only: the 5000 announced bytes are never sent.
        socket.write(
          'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n',
        );
      });
      let received = '';
      socket.on('data', (chunk) => {
        received += chunk.toString('utf8');
      });
      socket.on('end', () => resolve(received));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    expect(
      answer.endsWith('{"status": 413, "return": "The request body exceeds max_request_body_size (1000 bytes)."}'),
    ).toBe(true);
  });
});
