import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SALTDEV, json, login, pageMessage, startApi, type ApiUnderTest } from '../support/api.js';

const MINIONS = ['minion-1', 'minion-2', 'minion-3', 'minion-4', 'minion-5'];

let api: ApiUnderTest;
let session: string;

beforeAll(async () => {
  api = await startApi();
  session = (await login(api)).token;
});

afterAll(async () => {
  await api.close();
});

/** POST / with the session. */
function post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return api.call('/', json(body, { 'x-auth-token': session, ...headers }));
}

async function returnOf(response: Response): Promise<unknown[]> {
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return (JSON.parse(text) as { return: unknown[] }).return;
}

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

describe('POST /run', () => {
  const ping = { client: 'local', tgt: 'minion-1', fun: 'test.ping' };

  it('runs chunks with inline eauth, ignoring sessions', async () => {
    const response = await api.call('/run', json([{ ...ping, ...SALTDEV }], { 'x-auth-token': session }));
    expect(await returnOf(response)).toEqual([{ 'minion-1': true }]);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(response.headers.get('allow')).toBe('GET, HEAD, POST');
  });

  it('runs chunks with a Salt token from /token', async () => {
    const tokenResponse = await api.call('/token', json(SALTDEV));
    expect(tokenResponse.status).toBe(200);
    const tokens = (await tokenResponse.json()) as [
      { token: string; name: string; eauth: string; start: number; expire: number },
    ];
    expect(tokens).toHaveLength(1);
    expect(Object.keys(tokens[0]).slice(0, 4)).toEqual(['start', 'expire', 'name', 'eauth']);
    expect(tokens[0].name).toBe('saltdev');
    expect(tokens[0].token).toMatch(/^[0-9a-f]{64}$/);
    const response = await api.call('/run', json([{ ...ping, token: tokens[0].token }]));
    expect(await returnOf(response)).toEqual([{ 'minion-1': true }]);
  });

  it('refuses missing credentials, a non-hex token and a session id used as token', async () => {
    const none = await api.call('/run', json([ping], { 'x-auth-token': session }));
    expect(none.status).toBe(401);
    expect(pageMessage(await none.text())).toBe('No authentication credentials given');

    const nonHex = await api.call('/run', json([{ ...ping, token: '/etc/passwd' }]));
    expect(nonHex.status).toBe(401);
    expect(pageMessage(await nonHex.text())).toBe('Invalid token');

    const sessionAsToken = await api.call('/run', json([{ ...ping, token: session }]));
    expect(sessionAsToken.status).toBe(401);

    const badPassword = await api.call('/run', json([{ ...ping, ...SALTDEV, password: 'wrong' }]));
    expect(badPassword.status).toBe(401);
  });

  it('answers GET with the welcome document', async () => {
    const response = await api.call('/run');
    expect(response.status).toBe(200);
    expect(((await response.json()) as { return: string }).return).toBe('Welcome');
  });
});

describe('POST /token', () => {
  it('requires username, password and eauth in every set', async () => {
    for (const body of [{ username: 'saltdev', password: 'saltdev' }, [SALTDEV, { eauth: 'pam' }], [1]]) {
      const response = await api.call('/token', json(body));
      expect(response.status).toBe(400);
      expect(pageMessage(await response.text())).toBe('Require "username", "password", and "eauth" params');
    }
  });

  it('refuses bad credentials with 401', async () => {
    const response = await api.call('/token', json({ ...SALTDEV, password: 'wrong' }));
    expect(response.status).toBe(401);
    expect(pageMessage(await response.text())).toBe(
      'Authentication failure of type "eauth" occurred for user saltdev.',
    );
  });

  it('mints one token per credential set, as a bare list', async () => {
    const response = await api.call('/token', json([SALTDEV, { username: 'autouser', password: 'x', eauth: 'auto' }]));
    const tokens = (await response.json()) as Array<{ name: string }>;
    expect(tokens.map((t) => t.name)).toEqual(['saltdev', 'autouser']);
  });
});

describe('a jid as an argument (20 digits: past msgpack uint64 once yamlified)', () => {
  async function jidOfPing(): Promise<string> {
    const [started] = (await returnOf(
      await post({ client: 'local_async', tgt: 'minion-1', fun: 'test.ping' }),
    )) as Array<{ jid: string }>;
    const jid = started?.jid ?? '';
    expect(jid).toMatch(/^\d{20}$/);
    // The async job's return lands in the job cache a few ms later.
    await new Promise((resolve) => setTimeout(resolve, 200));
    return jid;
  }

  it('reaches jobs.lookup_jid as the text it was, positional or name=value, JSON or form', async () => {
    const jid = await jidOfPing();
    for (const arg of [[jid], [`jid=${jid}`]]) {
      expect(await returnOf(await post([{ client: 'runner', fun: 'jobs.lookup_jid', arg }]))).toEqual([
        { 'minion-1': true },
      ]);
    }
    const form = await api.call('/', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-auth-token': session,
        accept: 'application/json',
      },
      body: `client=runner&fun=jobs.lookup_jid&arg=${jid}`,
    });
    expect(await returnOf(form)).toEqual([{ 'minion-1': true }]);
    const [async] = (await returnOf(
      await post([{ client: 'runner_async', fun: 'jobs.list_job', arg: [jid] }]),
    )) as Array<{ tag: string }>;
    expect(async?.tag).toMatch(/^salt\/run\/\d{20}$/);
    const run = await api.call('/run', json([{ client: 'runner', fun: 'jobs.print_job', arg: [jid], ...SALTDEV }]));
    const [printed] = (await returnOf(run)) as Array<Record<string, unknown>>;
    expect(Object.keys(printed ?? {})).toEqual([jid]);
  });

  it('is sent to minions as text when a yamlified local argument is past 64 bits', async () => {
    const big = '123456789012345678901234567890';
    const form = await api.call('/', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-auth-token': session,
        accept: 'application/json',
      },
      body: `client=local&tgt=minion-1&fun=test.arg&arg=${big}&arg=-99999999999999999999`,
    });
    const text = await form.text();
    expect(form.status, text).toBe(200);
    expect(text).toContain(`"args": ["${big}", "-99999999999999999999"]`);
  });
});

describe('text that is not UTF-8', () => {
  const echo = (arg: string): string => `[{"client": "local", "tgt": "minion-1", "fun": "test.echo", "arg": [${arg}]}]`;
  const cases: Array<[string, string, Buffer, string]> = [
    [
      'a raw 0xE9 byte in JSON',
      'application/json',
      Buffer.concat([Buffer.from(echo('"caf')), Buffer.from([0xe9]), Buffer.from('"]}]')]),
      'Invalid JSON document',
    ],
    ['a lone surrogate escape in JSON', 'application/json', Buffer.from(echo('"\\ud800"')), 'Invalid JSON document'],
    [
      'a raw 0xE9 byte in YAML',
      'application/x-yaml',
      Buffer.concat([
        Buffer.from('client: local\ntgt: minion-1\nfun: test.echo\narg: [caf'),
        Buffer.from([0xe9, 0x5d]),
      ]),
      'Invalid YAML document',
    ],
    [
      'a lone surrogate escape in YAML',
      'application/x-yaml',
      Buffer.from('client: local\ntgt: minion-1\nfun: test.echo\narg: ["\\udc00"]'),
      'Invalid YAML document',
    ],
    [
      'a raw 0xE9 byte in a form',
      'application/x-www-form-urlencoded',
      Buffer.concat([Buffer.from('client=local&tgt=minion-1&fun=test.echo&arg=caf'), Buffer.from([0xe9])]),
      'The request body is not UTF-8 text',
    ],
  ];

  it.each(cases)('refuses %s with 400 and runs nothing', async (_name, contentType, body, message) => {
    const before = api.demo.requestCount('publish');
    const response = await api.call('/', {
      method: 'POST',
      headers: { 'content-type': contentType, 'x-auth-token': session },
      body: new Uint8Array(body),
    });
    expect(response.status).toBe(400);
    expect(pageMessage(await response.text())).toBe(message);
    expect(api.demo.requestCount('publish')).toBe(before);
  });

  it('still takes well-formed text, astral characters included', async () => {
    const response = await post([{ client: 'local', tgt: 'minion-1', fun: 'test.echo', arg: ['café \ud83d\ude00'] }]);
    expect(await returnOf(response)).toEqual([{ 'minion-1': 'café 😀' }]);
  });
});

describe('numbers keep their Python type both ways', () => {
  it('JSON: integers exact, floats floats, past 64 bits as text, as salt-api sends them', async () => {
    const body =
      '[{"client": "local", "tgt": "minion-1", "fun": "test.arg", "arg": [1.0, 2.50, 1e2, 9007199254740993, 12345678901234567890123, -0.0]}]';
    const text = await (
      await api.call('/', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-auth-token': session },
        body,
      })
    ).text();
    expect(text).toContain('"args": [1.0, 2.5, 100.0, 9007199254740993, "12345678901234567890123", -0.0]');
  });

  it('form values yamlified as floats stay floats, in JSON and in YAML', async () => {
    const form = (accept: string): RequestInit => ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-auth-token': session, accept },
      body: 'client=local&tgt=minion-1&fun=test.arg&arg=1.0&arg=100.0&arg=2',
    });
    expect(await (await api.call('/', form('application/json'))).text()).toContain('"args": [1.0, 100.0, 2]');
    expect(await (await api.call('/', form('application/x-yaml'))).text()).toContain(
      'args:\n    - 1.0\n    - 100.0\n    - 2\n',
    );
  });
});

describe('values quoted in messages as Python prints them', () => {
  it("an unknown client and a bad batch size, on salt-api's error page", async () => {
    const client = await post([{ client: { a: 1 }, fun: 'x' }]);
    expect(client.status).toBe(400);
    expect(pageMessage(await client.text())).toBe("Invalid client specified: '{'a': 1}'");
    const batch = await post([{ client: 'local_batch', tgt: 'minion-1', fun: 'test.ping', batch: 'abc' }]);
    expect(batch.status).toBe(400);
    expect(pageMessage(await batch.text())).toBe(
      "Invalid batch specification 'abc': must be an integer or percentage string like '10' or '25%'.",
    );
  });
});

describe('smaller answers as salt-api gives them', () => {
  it('PUT or POST without Content-Length (and not chunked) is a 411 before anything else', async () => {
    const { connect } = await import('node:net');
    const url = new URL(api.url);
    for (const [method, path] of [
      ['PUT', '/'],
      ['POST', '/'],
      ['PUT', '/minions'],
      ['POST', '/login'],
    ] as const) {
      const head = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(url.port), url.hostname, () => {
          socket.write(`${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
        });
        let text = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => (text += chunk));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      expect(head.split('\r\n')[0], `${method} ${path}`).toBe('HTTP/1.1 411 Length Required');
    }
  });

  it('asks for credentials before it says a path under /minions/<id> does not exist', async () => {
    expect((await api.call('/minions/minion-1/extra')).status).toBe(401);
    expect((await api.call('/minions/minion-1/extra', { headers: { 'x-auth-token': session } })).status).toBe(404);
  });

  it('refuses a sync local call that may not wait at all (salt-api: 500)', async () => {
    for (const timeout of [0, -1, '0']) {
      const response = await post([{ client: 'local', tgt: 'minion-1', fun: 'test.ping', timeout }]);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { return: string }).return).toMatch(
        /^'timeout' must be a positive number of seconds/,
      );
    }
  });
});
