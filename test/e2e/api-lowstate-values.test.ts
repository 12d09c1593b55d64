import { beforeAll, describe, expect, it } from 'vitest';
import { SALTDEV, apiForFile, json, login, pageMessage, returnOf, rootPoster } from '../support/api.js';
import { pollUntil } from '../support/poll.js';

const api = apiForFile();
let session: string;

beforeAll(async () => {
  session = (await login(api)).token;
});

/** POST / with the session. */
const post = rootPoster(api, () => session);

/** POST / with the session: `body` as a form, answered in JSON. */
function postForm(body: string): Promise<Response> {
  const headers = {
    'content-type': 'application/x-www-form-urlencoded',
    'x-auth-token': session,
    accept: 'application/json',
  };
  return api.call('/', { method: 'POST', headers, body });
}

describe('a jid as an argument (20 digits: past msgpack uint64 once yamlified)', () => {
  async function jidOfPing(): Promise<string> {
    const [started] = (await returnOf(
      await post({ client: 'local_async', tgt: 'minion-1', fun: 'test.ping' }),
    )) as Array<{ jid: string }>;
    const jid = started?.jid ?? '';
    expect(jid).toMatch(/^\d{20}$/);
    // The async job's return lands in the job cache a little later (GET /jobs/<jid> shows it then).
    await pollUntil(
      async () =>
        (await (
          await api.call(`/jobs/${jid}`, { headers: { 'x-auth-token': session, accept: 'application/json' } })
        ).json()) as { return: [Record<string, unknown>] },
      (job) => Object.hasOwn(job.return[0], 'minion-1'),
      { intervalMs: 20 },
    );
    return jid;
  }

  it('reaches jobs.lookup_jid as the text it was, positional or name=value, JSON or form', async () => {
    const jid = await jidOfPing();
    for (const arg of [[jid], [`jid=${jid}`]]) {
      expect(await returnOf(await post([{ client: 'runner', fun: 'jobs.lookup_jid', arg }]))).toEqual([
        { 'minion-1': true },
      ]);
    }
    const form = await postForm(`client=runner&fun=jobs.lookup_jid&arg=${jid}`);
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
    const form = await postForm(`client=local&tgt=minion-1&fun=test.arg&arg=${big}&arg=-99999999999999999999`);
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

/** POST / with the session: `body` as JSON text, exactly as written; the answer's text. */
async function postJsonText(body: string): Promise<string> {
  const headers = { 'content-type': 'application/json', 'x-auth-token': session };
  return (await api.call('/', { method: 'POST', headers, body })).text();
}

describe('numbers keep their Python type both ways', () => {
  it('JSON: integers exact, floats floats, past 64 bits as text, as salt-api sends them', async () => {
    const text = await postJsonText(
      '[{"client": "local", "tgt": "minion-1", "fun": "test.arg", "arg": [1.0, 2.50, 1e2, 9007199254740993, 12345678901234567890123, -0.0]}]',
    );
    expect(text).toContain('"args": [1.0, 2.5, 100.0, 9007199254740993, "12345678901234567890123", -0.0]');
  });

  it('JSON: a dict keeps its keys in the order they came, number-like ones too, there and back', async () => {
    const text = await postJsonText(
      '{"client": "local", "tgt": "minion-1", "fun": "test.arg", "arg": [{"b": 1, "10": 2, "a": 3, "1": 4}], "kwarg": {"z": 1, "5": 2}}',
    );
    expect(text).toContain('"args": [{"b": 1, "10": 2, "a": 3, "1": 4}]');
    expect(text).toMatch(/"kwargs": \{"z": 1, "5": 2, /);
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
