import { beforeAll, describe, expect, it } from 'vitest';
import { SALTDEV, apiForFile, json, login, pageMessage } from '../support/api.js';
import { pollUntil } from '../support/poll.js';
import { PYYAML_SAFE_SCHEMA, loadYaml } from '../../src/python/yaml11.js';

const MINIONS = ['minion-1', 'minion-2', 'minion-3', 'minion-4', 'minion-5'];

const api = apiForFile({ demo: { pendingKeys: ['pending-1'] } });
let session: string;

beforeAll(async () => {
  session = (await login(api)).token;
});

const withSession = (headers: Record<string, string> = {}): RequestInit => ({
  headers: { accept: 'application/json', 'x-auth-token': session, ...headers },
});

describe('/minions', () => {
  it('answers the grains of every minion, or of one', async () => {
    const all = await api.call('/minions', withSession());
    expect(all.status).toBe(200);
    expect(all.headers.get('cache-control')).toBe('private');
    const body = (await all.json()) as { return: [Record<string, { id: string }>] };
    expect(Object.keys(body.return[0]).sort()).toEqual(MINIONS);
    expect(body.return[0]['minion-2']?.id).toBe('minion-2');

    const one = (await (await api.call('/minions/minion-3', withSession())).json()) as {
      return: [Record<string, unknown>];
    };
    expect(Object.keys(one.return[0])).toEqual(['minion-3']);

    const none = await api.call('/minions/no-such-minion', withSession());
    expect(await none.text()).toBe('{"return": [{}]}');
  });

  it('requires a session', async () => {
    const response = await api.call('/minions');
    expect(response.status).toBe(401);
    expect(response.headers.getSetCookie()[0]).toMatch(/^session_id=[0-9a-f]{40}; /);
  });

  it('refuses undeclared query parameters', async () => {
    expect((await api.call('/minions/minion-1?foo=1', withSession())).status).toBe(404);
  });

  it('starts jobs with local_async whatever client is named: 202 with links to the jobs', async () => {
    const response = await api.call(
      '/minions',
      json(
        [
          { client: 'runner', tgt: '*', fun: 'test.ping' },
          { tgt: 'nothing-matches', fun: 'test.ping' },
        ],
        {
          'x-auth-token': session,
        },
      ),
    );
    expect(response.status).toBe(202);
    const body = (await response.json()) as {
      return: [{ jid: string; minions: string[] }, Record<string, never>];
      _links: { jobs: Array<{ href: string }> };
    };
    expect(body.return[0].jid).toMatch(/^\d{20}$/);
    expect([...body.return[0].minions].sort()).toEqual(MINIONS);
    expect(body.return[1]).toEqual({});
    expect(body._links).toEqual({ jobs: [{ href: `/jobs/${body.return[0].jid}` }] });
  });

  it('takes a urlencoded job', async () => {
    const response = await api.call('/minions', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-auth-token': session },
      body: 'tgt=minion-1&fun=test.arg&arg=x',
    });
    expect(response.status).toBe(202);
    const body = (await response.json()) as { return: [{ minions: string[] }] };
    expect(body.return[0].minions).toEqual(['minion-1']);
  });

  it('targets with a glob too long for a RegExp as the master does: no minion, no error', async () => {
    // 32 KB of nested JSON as a glob: V8 cannot compile it as a RegExp, Python's fnmatch matches it.
    const tgt = `${'{"a":'.repeat(5462)}1${'}'.repeat(5462)}`;
    const response = await api.call('/minions', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-auth-token': session },
      body: new URLSearchParams({ fun: 'test.ping', tgt }).toString(),
    });
    expect(response.status).toBe(202);
    expect(await response.text()).toBe('{"return": [{}], "_links": {"jobs": []}}');
  });
});

describe('/jobs', () => {
  it('lists the job cache and splits one job into info and return', async () => {
    const started = await api.call(
      '/',
      json([{ client: 'local', tgt: 'minion-*', fun: 'test.arg', arg: ['hello'] }], {
        'x-auth-token': session,
      }),
    );
    expect(started.status).toBe(200);
    const jobsResponse = await api.call(
      '/minions',
      json({ tgt: 'minion-1', fun: 'test.ping' }, { 'x-auth-token': session }),
    );
    const {
      return: [{ jid }],
    } = (await jobsResponse.json()) as { return: [{ jid: string }] };
    // local_async does not wait: poll until the minion's return is in the job cache.
    await pollUntil(
      async () =>
        (await (await api.call(`/jobs/${jid}`, withSession())).json()) as { return: [Record<string, unknown>] },
      (job) => Object.hasOwn(job.return[0], 'minion-1'),
      { intervalMs: 20 },
    );

    const list = await api.call('/jobs', withSession());
    expect(list.status).toBe(200);
    expect(list.headers.get('cache-control')).toBe('private');
    const jobs = (await list.json()) as { return: [Record<string, { Function: string }>] };
    expect(jobs.return).toHaveLength(1);
    expect(jobs.return[0][jid]?.Function).toBe('test.ping');

    const one = await api.call(`/jobs/${jid}`, withSession());
    expect(one.status).toBe(200);
    const text = await one.text();
    expect(text.startsWith('{"info": [{')).toBe(true);
    const job = JSON.parse(text) as {
      info: [{ jid: string; Function: string; Result: Record<string, { return: unknown }> }];
      return: [Record<string, unknown>];
    };
    expect(job.info[0].jid).toBe(jid);
    expect(job.info[0].Function).toBe('test.ping');
    expect(job.info[0].Result['minion-1']?.return).toBe(true);
    expect(job.return).toEqual([{ 'minion-1': true }]);

    const withTimeout = await api.call(`/jobs/${jid}?timeout=5`, withSession());
    expect(withTimeout.status).toBe(200);
  });

  it("writes a dict return once in YAML, anchored in the job record and aliased under return (as salt-api's PyYAML)", async () => {
    const started = await api.call(
      '/minions',
      json({ tgt: 'minion-2', fun: 'test.arg', arg: ['a', '1', 'yes'] }, { 'x-auth-token': session }),
    );
    const {
      return: [{ jid }],
    } = (await started.json()) as { return: [{ jid: string }] };
    const asJson = await pollUntil(
      async () =>
        (await (await api.call(`/jobs/${jid}`, withSession())).json()) as { return: [Record<string, unknown>] },
      (job) => Object.hasOwn(job.return[0], 'minion-2'),
      { intervalMs: 20 },
    );
    const yaml = await (await api.call(`/jobs/${jid}`, withSession({ accept: 'application/x-yaml' }))).text();
    expect(yaml).toContain("      return: &id001\n        args:\n        - a\n        - '1'\n        - 'yes'\n");
    expect(yaml).toContain('\nreturn:\n- minion-2: *id001\n');
    expect(loadYaml(yaml, undefined, PYYAML_SAFE_SCHEMA)).toEqual(asJson);
  });

  it('answers an unknown jid with the error record and an empty return', async () => {
    const response = await api.call('/jobs/20000101000000000000', withSession());
    expect(response.status).toBe(200);
    const job = (await response.json()) as { info: [{ Error?: string; Result: object }]; return: [object] };
    expect(job.info[0].Error).toBe('Cannot contact returner or no job with this jid');
    expect(job.return).toEqual([{}]);
  });

  it('requires a session', async () => {
    expect((await api.call('/jobs')).status).toBe(401);
  });
});

describe('GET /keys', () => {
  it('unwraps the wheel envelope: return is an object', async () => {
    const response = await api.call('/keys', withSession());
    expect(response.status).toBe(200);
    const body = (await response.json()) as { return: Record<string, string[]> };
    expect(body.return['minions']).toEqual(MINIONS);
    expect(body.return['minions_pre']).toEqual(['pending-1']);
    expect(Object.keys(body.return).sort()).toEqual([
      'local',
      'minions',
      'minions_denied',
      'minions_pre',
      'minions_rejected',
    ]);
  });

  it("answers one key's fingerprint, and {} when nothing matches", async () => {
    const one = (await (await api.call('/keys/minion-1', withSession())).json()) as {
      return: { minions: Record<string, string> };
    };
    expect(Object.keys(one.return.minions)).toEqual(['minion-1']);
    expect(one.return.minions['minion-1']).toMatch(/^([0-9a-f]{2}:)+[0-9a-f]{2}$/);
    expect(await (await api.call('/keys/nothing-here', withSession())).text()).toBe('{"return": {}}');
  });

  it('needs a session token: none → 401 "No authentication credentials given"', async () => {
    const response = await api.call('/keys');
    expect(response.status).toBe(401);
    expect(pageMessage(await response.text())).toBe('No authentication credentials given');
    expect(response.headers.getSetCookie()).toHaveLength(1);
  });
});

interface TarMember {
  name: string;
  mode: string;
  uid: string;
  gid: string;
  mtime: string;
  magic: string;
  uname: string;
  gname: string;
  data: Buffer;
}

function field(block: Buffer, offset: number, length: number): string {
  return block
    .subarray(offset, offset + length)
    .toString('latin1')
    .replace(/\0+$/, '');
}

/** Reads a ustar archive, checking each header's checksum. */
function readTar(archive: Buffer): TarMember[] {
  const members: TarMember[] = [];
  let offset = 0;
  while (offset + 512 <= archive.length) {
    const header = archive.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0);
    expect(parseInt(field(header, 148, 8), 8)).toBe(sum);
    const size = parseInt(field(header, 124, 12), 8);
    members.push({
      name: field(header, 0, 100),
      mode: field(header, 100, 8),
      uid: field(header, 108, 8),
      gid: field(header, 116, 8),
      mtime: field(header, 136, 12),
      magic: header.subarray(257, 265).toString('latin1'),
      uname: field(header, 265, 32),
      gname: field(header, 297, 32),
      data: archive.subarray(offset + 512, offset + 512 + size),
    });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return members;
}

describe('POST /keys', () => {
  it('answers a tar of the new key pair and pre-accepts the key', async () => {
    const response = await api.call('/keys', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'mid=new-minion&username=saltdev&password=saltdev&eauth=pam',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-tar');
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="saltkeys-new-minion.tar"');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.getSetCookie()).toEqual([]);
    const archive = Buffer.from(await response.arrayBuffer());
    expect(response.headers.get('content-length')).toBe(String(archive.length));
    expect(archive.length).toBe(10_240);

    const members = readTar(archive);
    expect(members.map((m) => m.name)).toEqual(['minion.pub', 'minion.pem']);
    for (const member of members) {
      expect(member).toMatchObject({
        mode: '0000644',
        uid: '0000000',
        gid: '0000000',
        mtime: '00000000000',
        magic: 'ustar\u000000',
        uname: '',
        gname: '',
      });
    }
    expect(members[0]?.data.toString()).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(members[1]?.data.toString()).toMatch(/^-----BEGIN (RSA )?PRIVATE KEY-----\n/);

    const keys = (await (await api.call('/keys', withSession())).json()) as { return: { minions: string[] } };
    expect(keys.return.minions).toContain('new-minion');
  });

  it('holds two empty files when the key already exists', async () => {
    const response = await api.call('/keys', json({ mid: 'minion-1', ...SALTDEV }));
    expect(response.status).toBe(200);
    const members = readTar(Buffer.from(await response.arrayBuffer()));
    expect(members.map((m) => [m.name, m.data.length])).toEqual([
      ['minion.pub', 0],
      ['minion.pem', 0],
    ]);
  });

  it('answers 401 for missing or bad credentials (salt-api: 500)', async () => {
    const missing = await api.call('/keys', json({ mid: 'x1' }));
    expect(missing.status).toBe(401);
    const bad = await api.call('/keys', json({ mid: 'x2', ...SALTDEV, password: 'wrong' }));
    expect(bad.status).toBe(401);
  });
});
