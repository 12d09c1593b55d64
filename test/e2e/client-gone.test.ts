import { request } from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { login, startApi, waitUntil, type ApiUnderTest } from '../support/api.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('a client that leaves during a long call', () => {
  it('stops the call and logs it as information, not as an unexpected error', async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n'))
          if (line !== '') lines.push(JSON.parse(line) as { level: number; msg: string });
        done();
      },
    });
    const api: ApiUnderTest = await startApi({ logger: pino({ level: 'info' }, sink) });
    cleanups.push(() => api.close());
    const { token } = await login(api);
    const url = new URL(api.url);
    const body = JSON.stringify([{ client: 'local', tgt: 'minion-1', fun: 'test.sleep', arg: [30] }]);
    const req = request({
      host: url.hostname,
      port: url.port,
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-auth-token': token },
    });
    req.on('error', () => undefined);
    req.end(body);
    // Gone once the call is under way (its job published), however long a busy machine takes to get there.
    const published = api.demo.requestCount('publish');
    await waitUntil(() => api.demo.requestCount('publish') > published, 10_000);
    req.destroy();
    await waitUntil(() => lines.some((line) => line.msg === 'the client went away before the answer'), 5_000);
    expect(lines.filter((line) => line.level >= 50)).toEqual([]);
  });
});
