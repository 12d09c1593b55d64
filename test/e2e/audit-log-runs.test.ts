import { afterEach, describe, expect, it } from 'vitest';
import { apiForFile, json, login, returnOf } from '../support/api.js';
import {
  AUDIT_DEMO,
  AUDIT_USERS,
  auditFileForFile,
  credentialsOf,
  leakedInto,
  type AuditRecord,
  type AuditUser,
} from '../support/audit.js';
import { READY, terminateWsClients, WsEventClient } from '../support/ws.js';

/**
 * `log_audit_file`: a `run` record for every lowstate chunk, on the routes that run them (`/`,
 * `/run`, `/minions`, the formatted-events WebSocket), with its jids, its redacted arguments and its
 * outcome; and the refusals of requests none of whose chunks ran.
 */

const audit = auditFileForFile();
const api = apiForFile({
  demo: AUDIT_DEMO,
  auditLog: audit.sink,
  settings: { rest: { apiAcl: { '*': ['127.0.0.1', '::1'], mallory: ['192.0.2.99'] } } },
});

afterEach(terminateWsClients);

/** Secrets written into the chunks' arguments, under secret-looking keys: none may reach the file. */
const ARG_SECRETS = ['Arg-secret-one-81c4', 'Arg-secret-two-2f9e', 'Arg-secret-three-b70d', 'Arg-secret-four-5aa1'];

/** A Salt token minted by POST /token (a bare list, no `return`). */
async function saltTokenOf(user: AuditUser): Promise<string> {
  const response = await api.call('/token', json(credentialsOf(user)));
  expect(response.status).toBe(200);
  const [{ token }] = (await response.json()) as [{ token: string }];
  return token;
}

const runsOf = (marker: string) => (record: AuditRecord) =>
  record.kind === 'run' && JSON.stringify(record.args ?? null).includes(marker);

describe('run records', () => {
  it('records local, runner and wheel chunks of POST / with their user, jids and redacted arguments', async () => {
    const { token } = await login(api, credentialsOf('erin'));
    const chunks = [
      {
        client: 'local',
        tgt: 'minion-1',
        fun: 'test.arg',
        arg: ['plain-local-marker', `password=${ARG_SECRETS[0]}`],
        kwarg: { api_key: ARG_SECRETS[1], nested: { db: { Passwd: ARG_SECRETS[2] } }, note: 'kept' },
      },
      { client: 'runner', fun: 'test.arg', arg: ['plain-runner-marker'], secret: ARG_SECRETS[3] },
      { client: 'wheel', fun: 'key.list_all', match: 'plain-wheel-marker' },
    ];
    const results = await returnOf(await api.call('/', json(chunks, { 'x-auth-token': token })));
    expect(results).toHaveLength(3);

    const [local] = await audit.waitFor(runsOf('plain-local-marker'));
    expect(local).toEqual({
      time: expect.any(String),
      kind: 'run',
      user: 'erin',
      eauth: 'pam',
      source: '127.0.0.1',
      request_id: expect.any(String),
      client: 'local',
      fun: 'test.arg',
      tgt: 'minion-1',
      arg_count: 2,
      args: {
        arg: ['plain-local-marker', 'password=[redacted]'],
        kwarg: { api_key: '[redacted]', nested: { db: { Passwd: '[redacted]' } }, note: 'kept' },
      },
      jids: [expect.stringMatching(/^\d{20}$/)],
      outcome: 'ran',
      duration_ms: expect.any(Number),
    });
    const [runner] = await audit.waitFor(runsOf('plain-runner-marker'));
    expect(runner).toMatchObject({
      user: 'erin',
      client: 'runner',
      fun: 'test.arg',
      arg_count: 1,
      args: { arg: ['plain-runner-marker'], secret: '[redacted]' },
      jids: [expect.stringMatching(/^\d{20}$/)],
      outcome: 'ran',
    });
    const [wheel] = await audit.waitFor(runsOf('plain-wheel-marker'));
    const wheelJid = (results[2] as { data: { jid: string } }).data.jid;
    expect(wheel).toMatchObject({
      client: 'wheel',
      fun: 'key.list_all',
      arg_count: 0,
      args: { match: 'plain-wheel-marker' },
      jids: [wheelJid],
      outcome: 'ran',
    });
    expect(local?.request_id).toBe(wheel?.request_id);
    expect(await leakedInto(audit, [...ARG_SECRETS, token, AUDIT_USERS.erin])).toEqual([]);
  });

  it('records the jid POST /minions answers, and /run chunks by their own credentials or Salt token', async () => {
    const { token } = await login(api, credentialsOf('erin'));
    const started = await api.call(
      '/minions',
      json({ tgt: 'minion-2', fun: 'test.arg', arg: ['minions-marker'] }, { 'x-auth-token': token }),
    );
    expect(started.status).toBe(202);
    const { jid } = ((await started.json()) as { return: Array<{ jid: string }> }).return[0]!;
    const [async] = await audit.waitFor(runsOf('minions-marker'));
    expect(async).toMatchObject({ user: 'erin', client: 'local_async', jids: [jid], outcome: 'ran' });

    const own = { ...credentialsOf('erin'), client: 'local', tgt: 'minion-3', fun: 'test.arg', arg: ['run-marker'] };
    expect((await api.call('/run', json([own]))).status).toBe(200);
    const [withPassword] = await audit.waitFor(runsOf('run-marker'));
    expect(withPassword).toMatchObject({ user: 'erin', eauth: 'pam', args: { arg: ['run-marker'] } });
    expect(Object.keys(withPassword!.args as object)).toEqual(['arg']);

    const saltToken = await saltTokenOf('erin');
    const bare = { client: 'local', tgt: 'minion-4', fun: 'test.arg', arg: ['token-marker'], token: saltToken };
    // The master goes by the token: a `username` beside it names nobody.
    const claimed = { ...bare, arg: ['claim-marker'], username: 'bob' };
    expect((await api.call('/run', json([bare, claimed]))).status).toBe(200);
    const [withToken] = await audit.waitFor(runsOf('token-marker'));
    expect(withToken).toMatchObject({ user: 'erin', eauth: 'pam', outcome: 'ran' });
    const [withClaim] = await audit.waitFor(runsOf('claim-marker'));
    expect(withClaim).toMatchObject({ user: 'erin', eauth: 'pam', outcome: 'ran' });
    const [mkToken] = await audit.waitFor((r) => r.kind === 'run' && r.fun === 'auth.mk_token');
    expect(mkToken).toMatchObject({ user: 'erin', client: 'runner', args: { kwarg: { password: '[redacted]' } } });
    expect(await leakedInto(audit, [saltToken, token, AUDIT_USERS.erin])).toEqual([]);
  });

  it('records refusals and errors: by the master, before any chunk ran, and a failed chunk', async () => {
    const wrong = { username: 'bob', password: 'Wrong-bob-run-19af', eauth: 'pam' };
    const refusedChunk = { ...wrong, client: 'local', tgt: '*', fun: 'test.arg', arg: ['refused-marker'] };
    expect((await api.call('/run', json([refusedChunk]))).status).toBe(401);
    const [byMaster] = await audit.waitFor(runsOf('refused-marker'));
    expect(byMaster).toMatchObject({ user: 'bob', outcome: 'refused', status: 401 });
    expect(byMaster).not.toHaveProperty('reason');

    const acl = { ...credentialsOf('mallory'), client: 'local', tgt: '*', fun: 'test.arg', arg: ['acl-marker'] };
    expect((await api.call('/run', json([acl, { ...acl, arg: ['acl-marker-2'] }]))).status).toBe(401);
    const aclRecords = await audit.waitFor(runsOf('acl-marker'), 2);
    expect(aclRecords.map((r) => [r.user, r.outcome, r.status, r.reason])).toEqual([
      ['mallory', 'refused', 401, 'refused before any chunk ran'],
      ['mallory', 'refused', 401, 'refused before any chunk ran'],
    ]);

    expect((await api.call('/', json({ client: 'local', tgt: '*', fun: 'test.ping' }))).status).toBe(401);
    const [gate] = await audit.waitFor((r) => r.kind === 'run' && r.fun === null);
    expect(gate).toMatchObject({ user: null, client: null, arg_count: 0, args: {}, outcome: 'refused', status: 401 });

    const { token } = await login(api, credentialsOf('erin'));
    const unknown = { client: 'runner', fun: 'nosuch.function', arg: ['error-marker'] };
    expect((await api.call('/', json(unknown, { 'x-auth-token': token }))).status).toBe(400);
    const [failed] = await audit.waitFor(runsOf('error-marker'));
    expect(failed).toMatchObject({ user: 'erin', outcome: 'error', status: 400 });
    expect(await leakedInto(audit, [wrong.password, AUDIT_USERS.mallory])).toEqual([]);
  });

  it('records the grains.items job the formatted-events WebSocket starts, as the socket user', async () => {
    const saltToken = await saltTokenOf('alice');
    const client = await WsEventClient.open(api, `/formatted_events/${saltToken}`);
    client.socket.send(READY);
    const [grains] = await audit.waitFor((r) => r.kind === 'run' && r.fun === 'grains.items' && r.user === 'alice');
    expect(grains).toMatchObject({
      eauth: 'pam',
      client: 'local_async',
      tgt: '*',
      outcome: 'ran',
      jids: [expect.stringMatching(/^\d{20}$/)],
    });
    expect(await leakedInto(audit, [saltToken])).toEqual([]);
  });
});
