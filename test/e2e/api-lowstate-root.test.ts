import { beforeAll, describe, expect, it } from 'vitest';
import { apiForFile, json, login, pageMessage, returnOf, rootPoster, startApi } from '../support/api.js';

const MINIONS = ['minion-1', 'minion-2', 'minion-3', 'minion-4', 'minion-5'];

const api = apiForFile();
let session: string;

beforeAll(async () => {
  session = (await login(api)).token;
});

/** POST / with the session. */
const post = rootPoster(api, () => session);

describe('POST /', () => {
  it('runs several chunks in order and concatenates their results', async () => {
    const response = await post([
      { client: 'runner', fun: 'test.arg', arg: ['first'] },
      { client: 'local', tgt: 'minion-1', fun: 'test.ping' },
      { client: 'runner', fun: 'test.arg', arg: ['third'], kwarg: { k: 'v' } },
    ]);
    expect(response.headers.get('cache-control')).toBe('private');
    expect(response.headers.get('allow')).toBe('GET, HEAD, POST');
    expect(response.headers.get('x-salt-version')).toBeNull();
    expect(await returnOf(response)).toEqual([
      { args: ['first'], kwargs: {} },
      { 'minion-1': true },
      { args: ['third'], kwargs: { k: 'v' } },
    ]);
  });

  it('takes a single mapping as a one-chunk lowstate, wrapping a scalar arg', async () => {
    expect(await returnOf(await post({ client: 'runner', fun: 'test.arg', arg: 'only' }))).toEqual([
      { args: ['only'], kwargs: {} },
    ]);
    const form = await api.call('/', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-auth-token': session },
      body: 'client=runner&fun=test.arg&arg=1&arg=[a,b]',
    });
    expect(await returnOf(form)).toEqual([{ args: [1, ['a', 'b']], kwargs: {} }]);
    const yaml = await api.call('/', {
      method: 'POST',
      headers: { 'content-type': 'application/x-yaml', 'x-auth-token': session },
      body: '- client: runner\n  fun: test.arg\n  arg: yes\n',
    });
    expect(await returnOf(yaml)).toEqual([{ args: [true], kwargs: {} }]);
  });

  it('reaches every enabled client', async () => {
    const ping = await returnOf(await post([{ client: 'local', tgt: '*', fun: 'test.ping' }]));
    expect(ping).toEqual([Object.fromEntries(MINIONS.map((id) => [id, true]))]);

    const [started] = (await returnOf(await post([{ client: 'local_async', tgt: '*', fun: 'test.ping' }]))) as [
      { jid: string; minions: string[] },
    ];
    expect(started.jid).toMatch(/^\d{20}$/);
    expect([...started.minions].sort()).toEqual(MINIONS);

    const batch = await returnOf(await post([{ client: 'local_batch', tgt: '*', fun: 'test.ping', batch: '2' }]));
    expect(batch).toHaveLength(MINIONS.length);

    const subset = await returnOf(await post([{ client: 'local_subset', tgt: '*', fun: 'test.ping', subset: 2 }]));
    expect(Object.keys(subset[0] as object)).toHaveLength(2);

    const [status] = (await returnOf(await post([{ client: 'runner', fun: 'manage.status' }]))) as [{ up: string[] }];
    expect(status.up).toEqual(MINIONS);

    const [runnerJob] = (await returnOf(await post([{ client: 'runner_async', fun: 'test.arg' }]))) as [
      { tag: string; jid: string },
    ];
    expect(runnerJob.tag).toBe(`salt/run/${runnerJob.jid}`);

    const [keys] = (await returnOf(await post([{ client: 'wheel', fun: 'key.list_all' }]))) as [
      { tag: string; data: { return: { minions: string[] }; success: boolean } },
    ];
    expect(keys.tag).toMatch(/^salt\/wheel\/\d{20}$/);
    expect(keys.data.success).toBe(true);
    expect(keys.data.return.minions).toEqual(MINIONS);

    const [wheelJob] = (await returnOf(await post([{ client: 'wheel_async', fun: 'key.list_all' }]))) as [
      { tag: string; jid: string },
    ];
    expect(wheelJob.tag).toBe(`salt/wheel/${wheelJob.jid}`);
  });

  it("uses the session's token over any token the chunk names", async () => {
    const result = await returnOf(await post([{ client: 'runner', fun: 'test.arg', token: 'not hex at all' }]));
    expect(result).toEqual([{ args: [], kwargs: {} }]);
  });

  it('answers [] with an empty return', async () => {
    const response = await post([]);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('{"return": []}');
  });

  it('refuses bodies that are not a lowstate', async () => {
    const cases: Array<[string, string | undefined]> = [
      ['text/plain', 'just some text'],
      ['application/json', '42'],
      ['application/json', 'null'],
      ['application/json', '{}'],
      ['application/json', '"a string"'],
      ['application/json', undefined],
    ];
    for (const [contentType, body] of cases) {
      const response = await api.call('/', {
        method: 'POST',
        headers: { 'content-type': contentType, 'x-auth-token': session },
        ...(body === undefined ? {} : { body }),
      });
      expect(response.status, String(body)).toBe(400);
      expect(pageMessage(await response.text())).toBe('Lowstates must be a list');
    }
  });

  it('names a chunk that is not a mapping (400, where salt-api answers 500)', async () => {
    const response = await post([{ client: 'runner', fun: 'test.arg' }, 1]);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { status: number; return: string };
    expect(body.status).toBe(400);
    expect(body.return).toBe('Lowstate chunk 2 must be a mapping, but it is a number');
  });

  it("answers the dispatcher's refusals: missing or unknown client, missing fun", async () => {
    const missingClient = await post([{ fun: 'test.ping', tgt: '*' }]);
    expect(missingClient.status).toBe(400);
    expect(pageMessage(await missingClient.text())).toBe("Invalid client specified: 'None'");

    const unknown = await post([{ client: 'bogus', fun: 'test.ping' }]);
    expect(pageMessage(await unknown.text())).toBe("Invalid client specified: 'bogus'");

    const noFun = await post([{ client: 'runner' }]);
    expect(noFun.status).toBe(400);
  });

  it("answers 400 in salt-api's envelope, JSON or YAML, where salt-api fails with its 500 envelope", async () => {
    const cases: Array<[string, unknown, string]> = [
      ['/', [{ client: 'local', fun: 'test.ping' }], "Missing 'tgt' in a local chunk (it needs 'tgt' and 'fun')"],
      [
        '/',
        [{ client: 'local', tgt: 'nosuch', tgt_type: 'nodegroup', fun: 'test.ping' }],
        'Node group nosuch unavailable',
      ],
      [
        '/minions',
        { client: 'runner', fun: 'test.ping' },
        "Missing 'tgt' in a local_async chunk (it needs 'tgt' and 'fun')",
      ],
    ];
    for (const [path, body, message] of cases) {
      for (const accept of ['application/json', 'application/x-yaml']) {
        const response = await api.call(path, json(body, { 'x-auth-token': session, accept }));
        expect(response.status).toBe(400);
        expect(response.headers.get('content-type')).toBe(accept);
        const text = await response.text();
        expect(text).not.toContain('/');
        if (accept === 'application/json') expect(JSON.parse(text)).toEqual({ status: 400, return: message });
        else expect(text).toContain('status: 400');
      }
    }
  });

  it('aborts on the first failing chunk and returns nothing of the others', async () => {
    const response = await post([
      { client: 'runner', fun: 'test.arg' },
      { client: 'bogus', fun: 'test.ping' },
      { client: 'runner', fun: 'test.arg' },
    ]);
    expect(response.status).toBe(400);
    expect(await response.text()).not.toContain('kwargs');
  });

  it('runs the command, then answers 406 for an unacceptable Accept header', async () => {
    const response = await post([{ client: 'runner', fun: 'test.arg' }], { accept: 'text/plain' });
    expect(response.status).toBe(406);
  });
});

describe('netapi_enable_clients', () => {
  it('refuses a client that is not enabled', async () => {
    const limited = await startApi({ settings: { master: { netapiEnableClients: ['local'] } } });
    try {
      const { token } = await login(limited);
      const response = await limited.call(
        '/',
        json([{ client: 'runner', fun: 'test.arg' }], { 'x-auth-token': token }),
      );
      expect(response.status).toBe(400);
      expect(pageMessage(await response.text())).toBe(
        "Client disabled: 'runner'. Add to 'netapi_enable_clients' master config option to enable.",
      );
    } finally {
      await limited.close();
    }
  });
});
