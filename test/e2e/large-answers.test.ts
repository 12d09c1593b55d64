import { get, request, type IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonDumps } from '../../src/python/json-dumps.js';
import { dumpYaml } from '../../src/python/yaml-dump.js';
import { startApi, type ApiUnderTest } from '../support/api.js';

/**
 * Answers of many MB (serialize.ts): JSON and YAML are written to the socket as they are
 * serialised, in chunks, with the same bytes as the whole dump; the server answers other requests
 * meanwhile, even while the large answer's reader reads nothing at all.
 */

const apis: ApiUnderTest[] = [];
afterEach(async () => {
  for (const api of apis.splice(0)) await api.close();
});

/** salt-apid on the demo master, closed after the test, and a session on it. */
async function loggedIn(): Promise<{ api: ApiUnderTest; token: string }> {
  const api = await startApi();
  apis.push(api);
  return { api, token: await login(api) };
}

async function login(api: ApiUnderTest): Promise<string> {
  const res = await api.call('/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'saltdev', password: 'saltdev', eauth: 'pam' }),
  });
  return res.headers.get('x-auth-token') ?? '';
}

/** `cmd.run seq 250000` on five minions: about 9 MB of JSON. */
const BIG = JSON.stringify({ client: 'local', tgt: '*', fun: 'cmd.run', arg: ['seq 250000'] });

/** Sends the big request and resolves once its response started (headers), leaving the body unread. */
function bigRequest(api: ApiUnderTest, token: string, accept: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${api.url}/`,
      {
        method: 'POST',
        headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json', Accept: accept },
        agent: false,
      },
      resolve,
    );
    req.on('error', reject);
    req.end(BIG);
  });
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    // A stream paused on purpose does not flow again when a reader starts listening.
    res.resume();
  });
}

describe('large answers', () => {
  it('streams JSON with the bytes json.dumps writes, and answers others while its reader stalls', async () => {
    const { api, token } = await loggedIn();
    const res = await bigRequest(api, token, 'application/json');
    expect(res.statusCode).toBe(200);
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.headers['content-type']).toBe('application/json');
    // The reader reads nothing yet: the server must still answer another client.
    res.pause();
    const other = await new Promise<number | undefined>((resolve, reject) =>
      get(`${api.url}/`, { agent: false }, (answer) => {
        answer.resume();
        resolve(answer.statusCode);
      }).on('error', reject),
    );
    expect(other).toBe(200);
    const body = await readAll(res);
    expect(body.length).toBeGreaterThan(8_000_000);
    const parsed = JSON.parse(body) as { return: Array<Record<string, string>> };
    expect(Object.keys(parsed.return[0] ?? {})).toHaveLength(5);
    expect(parsed.return[0]?.['minion-1']?.split('\n')).toHaveLength(250_000);
    // The same bytes as json.dumps of the whole answer (strings only: the parsed value is the same value).
    expect(body).toBe(jsonDumps(parsed));
  });

  it('streams YAML with the bytes of the whole dump', async () => {
    const { api, token } = await loggedIn();
    const res = await bigRequest(api, token, 'application/x-yaml');
    expect(res.statusCode).toBe(200);
    expect(res.headers['transfer-encoding']).toBe('chunked');
    const body = await readAll(res);
    expect(body.length).toBeGreaterThan(8_000_000);
    // The same bytes as the whole dump of what the minions return (YAML's keys are sorted, so the
    // order the returns came in does not matter).
    const output = Array.from({ length: 250_000 }, (_, i) => String(i + 1)).join('\n');
    const minions = ['minion-1', 'minion-2', 'minion-3', 'minion-4', 'minion-5'];
    expect(body).toBe(dumpYaml({ return: [Object.fromEntries(minions.map((id) => [id, output]))] }));
  });

  it('keeps a small answer in one piece, with its length', async () => {
    const { api, token } = await loggedIn();
    const res = await api.call('/', {
      method: 'POST',
      headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ client: 'local', tgt: '*', fun: 'test.ping' }),
    });
    expect(res.headers.get('content-length')).not.toBeNull();
    expect(await res.text()).toContain('"minion-1": true');
  });
});
