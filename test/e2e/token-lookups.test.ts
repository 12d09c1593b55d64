import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SALTDEV, apiForFile, json, startApi } from '../support/api.js';

/**
 * Salt tokens presented bare to `/events` (docs/decisions/0020): tokens never seen cost the master
 * at most 8 lookups at once and 20 a second, refusals are remembered, and a real token still works.
 */
const api = apiForFile();

const randomToken = (): string => randomBytes(32).toString('hex');

async function eventsStatus(token: string, method = 'GET'): Promise<Response> {
  const response = await api.call('/events', { method, headers: { 'x-auth-token': token } });
  await response.body?.cancel();
  return response;
}

describe('unknown Salt tokens on /events', () => {
  it('2,000 random tokens cost the master at most 20 get_token calls plus 20 a second; the rest 503', async () => {
    const before = api.demo.requestCount('get_token');
    const started = performance.now();
    const statuses = new Map<number, number>();
    const tokens = Array.from({ length: 2_000 }, randomToken);
    for (let i = 0; i < tokens.length; i += 50) {
      const batch = await Promise.all(tokens.slice(i, i + 50).map((token) => eventsStatus(token)));
      for (const response of batch) {
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status === 503) expect(response.headers.get('retry-after')).toBe('1');
      }
    }
    const seconds = Math.ceil((performance.now() - started) / 1000);
    const asked = api.demo.requestCount('get_token') - before;
    expect(asked).toBeGreaterThan(0);
    expect(asked).toBeLessThanOrEqual(20 + 20 * seconds);
    expect(statuses.get(401)).toBe(asked);
    expect(statuses.get(503)).toBe(2_000 - asked);
  });

  it('a refused token presented 500 times costs one lookup; a real one, new to salt-apid, still opens a stream', async () => {
    // A server of its own: the test before has used this second's lookups.
    const fresh = await startApi();
    try {
      const status = async (token: string, method = 'GET'): Promise<Response> => {
        const response = await fresh.call('/events', { method, headers: { 'x-auth-token': token } });
        await response.body?.cancel();
        return response;
      };
      const before = fresh.demo.requestCount('get_token');
      const refused = randomToken();
      for (let i = 0; i < 500; i++) expect((await status(refused)).status).toBe(401);
      expect(fresh.demo.requestCount('get_token') - before).toBe(1);

      const minted = (await (await fresh.call('/token', json(SALTDEV))).json()) as [{ token: string }];
      const head = await status(minted[0].token, 'HEAD');
      expect(head.status).toBe(200);
      expect(head.headers.get('content-type')).toBe('text/event-stream;charset=utf-8');
    } finally {
      await fresh.close();
    }
  });
});
