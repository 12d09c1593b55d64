import { connect } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { SALTDEV, apiForFile, json, login, pageMessage } from '../support/api.js';
import { threadCpuStopwatch } from '../support/fuzz.js';
import { deepJson, yamlBomb } from '../support/hostile.js';

/**
 * Hostile inputs over the real server and the demo master: alias bombs and deep nesting on every
 * route that reads a body, chunked bodies on a raw socket, minion ids in POST /keys, bad `fun`s.
 */
const api = apiForFile({ settings: { rest: { webhookDisableAuth: true } } });
let session: string;

beforeAll(async () => {
  session = (await login(api)).token;
});

const BODY_ROUTES = ['/login', '/run', '/token', '/keys', '/hook/bomb', '/'];

/**
 * `ms` is the CPU time this thread (the client, salt-apid and the demo master all run on it) spent on
 * the request: "at once" means no parse that blows up, which a busy machine's wall time would blur.
 */
async function timedPost(path: string, body: string, contentType: string) {
  const cpuMs = threadCpuStopwatch();
  const response = await api.call(path, {
    method: 'POST',
    // A successful /login ends the session it is presented with (no fixation): present it elsewhere only.
    headers: {
      'content-type': contentType,
      accept: 'application/json',
      ...(path === '/login' ? {} : { 'x-auth-token': session }),
    },
    body,
  });
  const text = await response.text();
  return { status: response.status, text, ms: cpuMs() };
}

describe('alias bombs and deep nesting', () => {
  it.each(BODY_ROUTES)('%s answers a YAML alias bomb with 400 "Invalid YAML document" at once', async (path) => {
    const { status, text, ms } = await timedPost(path, yamlBomb(), 'application/x-yaml');
    expect(status).toBe(400);
    expect(pageMessage(text)).toBe('Invalid YAML document');
    expect(ms).toBeLessThan(2_000);
  });

  it.each(BODY_ROUTES)('%s keeps a yamlified alias bomb as text and answers at once', async (path) => {
    const form = new URLSearchParams({ ...SALTDEV, client: 'runner', fun: 'test.arg', mid: 'bomb-minion' });
    form.append('arg', yamlBomb(9, 9, true));
    form.append('kwarg', yamlBomb(9, 9, true));
    const { status, ms } = await timedPost(path, form.toString(), 'application/x-www-form-urlencoded');
    expect(status).toBeLessThan(500);
    expect(ms).toBeLessThan(5_000);
  });

  it.each(BODY_ROUTES)(
    '%s answers 100,000 nested JSON arrays with 400 "Invalid JSON document" at once',
    async (path) => {
      for (const type of ['application/json', 'text/plain']) {
        const { status, text, ms } = await timedPost(path, deepJson(100_000), type);
        expect(status).toBe(400);
        expect(pageMessage(text)).toBe('Invalid JSON document');
        expect(ms).toBeLessThan(2_000);
      }
    },
  );

  it('keeps 100 levels working all the way to the master', async () => {
    const chunk = { client: 'runner', fun: 'test.arg', arg: [JSON.parse(deepJson(95)) as unknown], ...SALTDEV };
    const response = await api.call('/run', json([chunk]));
    expect(response.status).toBe(200);
  });
});

describe("integers past Python's 4,300 digits", () => {
  const auto = (password: string): string => `{"username": "autouser", "eauth": "auto", "password": ${password}}`;

  it.each(['/login', '/run', '/token'])(
    '%s refuses a 1 MB body holding a 900,000-digit integer with 400 "Invalid JSON document", as salt-api',
    async (path) => {
      const { status, text } = await timedPost(path, auto('9'.repeat(900_000)), 'application/json');
      expect(status).toBe(400);
      expect(pageMessage(text)).toBe('Invalid JSON document');
      const refused = await timedPost(path, auto('9'.repeat(4_301)), 'application/json');
      expect(refused.status).toBe(400);
      expect(pageMessage(refused.text)).toBe('Invalid JSON document');
    },
  );

  it('/login takes a password of 4,300 digits as today (the auto backend accepts any)', async () => {
    const { status, text } = await timedPost('/login', auto('9'.repeat(4_300)), 'application/json');
    expect(status, text).toBe(200);
  });
});

/**
 * Writes a POST of `totalBytes` (chunked, or raw bytes under a Content-Length that says so);
 * resolves with what was written until the server hung up.
 */
function flood(
  path: string,
  totalBytes: number,
  framing: 'chunked' | 'length' = 'chunked',
): Promise<{ written: number; response: string; closed: boolean }> {
  const { hostname, port } = new URL(api.url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const frame =
      framing === 'length'
        ? chunk
        : Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
    let written = 0;
    let response = '';
    let closed = false;
    const finish = (): void => {
      socket.destroy();
      resolve({ written, response, closed });
    };
    socket.on('data', (data: Buffer) => (response += data.toString('latin1')));
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.on('error', () => undefined);
    const pump = (): void => {
      while (written < totalBytes && !socket.destroyed) {
        written += frame.length;
        if (!socket.write(frame)) {
          socket.once('drain', pump);
          return;
        }
      }
      if (written >= totalBytes) setTimeout(finish, 200);
    };
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nAccept: application/json\r\n` +
        `${framing === 'length' ? `Content-Length: ${totalBytes}` : 'Transfer-Encoding: chunked'}\r\n\r\n`,
      pump,
    );
  });
}

describe('chunked bodies', () => {
  it.each(['/login', '/run', '/', '/hook/flood', '/nowhere'])(
    '%s: a huge chunked body is not read; the answer closes the connection',
    async (path) => {
      const total = 512 * 1024 * 1024;
      const { written, response, closed } = await flood(path, total);
      expect(response).toMatch(/^HTTP\/1\.1 [234]\d\d /);
      expect(response.toLowerCase()).toContain('connection: close');
      expect(closed).toBe(true);
      // The server hung up long before the client could push half a gigabyte.
      expect(written).toBeLessThan(total / 4);
    },
  );

  it('a declared body over max_request_body_size is a 413 and the rest is never read', async () => {
    const total = 512 * 1024 * 1024;
    const { written, response, closed } = await flood('/run', total, 'length');
    expect(response).toMatch(/^HTTP\/1\.1 413 /);
    expect(response.toLowerCase()).toContain('connection: close');
    expect(closed).toBe(true);
    expect(written).toBeLessThan(total / 4);
  });

  it('a chunked body is "no data", as in salt-api', async () => {
    const response = await fetch(`${api.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: new Blob([JSON.stringify(SALTDEV)]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(401);
  });
});

describe('POST /keys minion ids', () => {
  const keysPost = (mid: unknown) => api.call('/keys', json({ mid, ...SALTDEV }));

  it.each([
    ['header injection', 'a\r\nX-Evil: 1'],
    ['a path', '../escape'],
    ['a backslash', 'a\\b'],
    ['NUL', 'a\u0000b'],
    ['dot-dot', '..'],
    ['empty', ''],
    ['a list', ['x']],
    ['a mapping', { a: 1 }],
    ['missing', null],
    ['too long', 'x'.repeat(256)],
  ])('refuses %s with 400 in the envelope and generates no key', async (_name, mid) => {
    const response = await keysPost(mid);
    expect(response.status).toBe(400);
    expect(response.headers.get('x-evil')).toBeNull();
    const body = (await response.json()) as { status: number; return: string };
    expect(body.status).toBe(400);
    expect(body.return).toMatch(/^Invalid minion id in 'mid'/);
    const keys = (await (
      await api.call('/keys', { headers: { accept: 'application/json', 'x-auth-token': session } })
    ).json()) as {
      return: { minions: string[] };
    };
    expect(keys.return.minions.filter((id) => id.includes('escape') || id.includes('Evil'))).toEqual([]);
  });

  it('answers a non-ASCII id with an ASCII file name and its exact UTF-8 form', async () => {
    const response = await keysPost('web-漢字"1');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="saltkeys-web-___1.tar"; filename*=UTF-8''saltkeys-web-%E6%BC%A2%E5%AD%97%221.tar`,
    );
  });
});

describe('wheel and runner function names', () => {
  it.each([null, '', 'nope', 5, ['key.list_all'], { a: 1 }, 'key.'])(
    'wheel fun %j is a 400, not a 500',
    async (fun) => {
      for (const client of ['wheel', 'wheel_async', 'runner', 'runner_async']) {
        const response = await api.call('/', json([{ client, fun }], { 'x-auth-token': session }));
        expect(response.status, `${client} ${JSON.stringify(fun)}`).toBe(400);
      }
    },
  );

  it('an invocation the master refuses (SaltInvocationError) is a 400', async () => {
    // The demo's ACL check answers SaltInvocationError for a name that is not module.function.
    const response = await api.call('/run', json([{ client: 'wheel', fun: 'key.list_all.x', ...SALTDEV }]));
    expect(response.status).toBe(400);
  });
});
