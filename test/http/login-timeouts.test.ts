import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/app.js';
import { MasterTimeoutError } from '../../src/salt/errors.js';
import { testSettings } from '../support/settings.js';

/** A master that never answers a login: the throttle counts each silence as a failed password. */

const apps: FastifyInstance[] = [];

afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
});

describe('/login when the master does not answer', () => {
  it('counts each time-out as a failure: after login_max_failures of them, 429 without asking', async () => {
    let asked = 0;
    const app = await buildApp({
      settings: testSettings({ rest: { loginMaxFailures: 3, loginFailureWindow: 60 } }),
      logger: pino({ level: 'silent' }),
      master: {
        available: true,
        commands: {
          mkToken: () => {
            asked++;
            return Promise.reject(new MasterTimeoutError('mk_token', 5_000));
          },
          getToken: () => Promise.resolve(null),
        },
      },
    });
    apps.push(app);
    const login = () =>
      app.inject({
        method: 'POST',
        url: '/login',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        payload: JSON.stringify({ username: 'saltdev', password: 'guess', eauth: 'pam' }),
      });
    for (let i = 0; i < 3; i++) expect((await login()).statusCode).toBe(503);
    const throttled = await login();
    expect(throttled.statusCode).toBe(429);
    expect(throttled.headers['retry-after']).toBe('60');
    expect(asked).toBe(3);
  });
});
