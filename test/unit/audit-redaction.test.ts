import { describe, expect, it } from 'vitest';
import { Float64 } from '../../src/python/float.js';
import { SaltExt } from '../../src/salt/codec/values.js';
import { holdsSecret, looksLikeSecretKey, redactCredentialsIn } from '../../src/http/audit/redaction.js';
import { ARGS_LIMITS, auditValue, FIELD_LIMITS, type AuditValueLimits } from '../../src/http/audit/audit-value.js';
import { chunkSecrets, runFields } from '../../src/http/audit/chunk-fields.js';
import { tokenRecord } from '../support/token-record.js';
import { threadCpuStopwatch } from '../support/fuzz.js';

/** What the audit log writes of a request's values: secrets redacted, everything bounded. */

describe('looksLikeSecretKey', () => {
  it.each([
    'password',
    'PASSWORD',
    'ssh_passwd',
    'db-pwd',
    'X-Auth-Token',
    'client_secret',
    'api_key',
    'apiKey',
    'credentials',
    'Authorization',
    'signature',
    'cookie',
    'session_id',
    'private_key',
  ])('%s names a secret', (key) => expect(looksLikeSecretKey(key)).toBe(true));

  it.each(['name', 'tgt', 'arg', 'kwarg', 'timeout', 'match', 'id_', 'ret', 'note'])('%s does not', (key) =>
    expect(looksLikeSecretKey(key)).toBe(false),
  );
});

describe('redactCredentialsIn', () => {
  it.each([
    ['password=hunter2', 'password=[redacted]'],
    ['db_password=two words, and more', 'db_password=[redacted]'],
    ['name=web01', 'name=web01'],
    ['mysql --password=hunter2 -e "select 1"', 'mysql --password=[redacted] -e "select 1"'],
    ['vault --api-token s.abcdef123 read', 'vault --api-token [redacted] read'],
    ['{"token": "abc def", "user": "x"}', '{"token": [redacted], "user": "x"}'],
    ["curl -H 'Authorization: Bearer eyJhbGciOi.payload.sig' x", "curl -H 'Authorization: [redacted] [redacted]' x"],
    ['https://deploy:s3cr3t-pw@git.example/repo.git', 'https://deploy:[redacted]@git.example/repo.git'],
    ['/api?user=a&secret=xyz&x=1', '/api?user=a&secret=[redacted]&x=1'],
    ['nothing secret here', 'nothing secret here'],
  ])('%s', (text, expected) => expect(redactCredentialsIn(text)).toBe(expected));

  it('costs no backtracking on long words without a separator (CPU time, which a busy machine does not stretch)', () => {
    const cpuMs = threadCpuStopwatch();
    for (let i = 0; i < 20; i++) redactCredentialsIn(`${'password'.repeat(64)}${'x-'.repeat(200)}`);
    expect(cpuMs()).toBeLessThan(250);
  });
});

describe('holdsSecret', () => {
  it('finds a secret of the request anywhere in a text; an empty one never counts', () => {
    expect(holdsSecret('run with abc123token inside', ['abc123token'])).toBe(true);
    expect(holdsSecret('nothing', ['abc123token', ''])).toBe(false);
  });
});

describe('auditValue', () => {
  const small: AuditValueLimits = { maxDepth: 3, maxItems: 3, maxText: 10, maxChars: 60 };

  it('redacts the values of secret-looking keys at any depth, and texts holding a request secret', () => {
    const value = {
      user: 'alice',
      nested: { deeper: { Password: 'p1', list: [{ api_key: ['k1'] }] } },
      note: 'contains TOKEN-XYZ here',
    };
    expect(auditValue(value, ['TOKEN-XYZ'], ARGS_LIMITS)).toEqual({
      user: 'alice',
      nested: { deeper: { Password: '[redacted]', list: [{ api_key: '[redacted]' }] } },
      note: '[redacted]',
    });
  });

  it('cuts depth, width, long texts and the total, each with a marker', () => {
    expect(auditValue({ a: { b: { c: { d: 1 } } } }, [], small)).toEqual({
      a: { b: { c: '[truncated: nested too deep]' } },
    });
    expect(auditValue([1, 2, 3, 4, 5], [], small)).toEqual([1, 2, 3, '[2 more items]']);
    expect(auditValue({ a: 1, b: 2, c: 3, d: 4 }, [], small)).toEqual({ a: 1, b: 2, c: 3, '…': '[1 more keys]' });
    expect(auditValue('x'.repeat(25), [], small)).toBe(`${'x'.repeat(10)}…[15 more characters]`);
    // The total: each text costs its length and 3 (quotes, comma), each list 3; past 60, markers.
    const ten = 'abcdefghij';
    expect(auditValue([ten, ten, ten], [], small)).toEqual([ten, ten, ten]);
    expect(auditValue([[ten, ten, ten], [ten, ten, ten], [ten]], [], small)).toEqual([
      [ten, ten, ten],
      ['abcdefghi…[1 more characters]', '[2 more items]'],
      '[1 more items]',
    ]);
    expect(auditValue([`${ten}${ten}`, ten], [], { ...small, maxText: 50, maxChars: 21 })).toEqual([
      `${ten}abcde…[5 more characters]`,
      '[1 more items]',
    ]);
  });

  it('keeps any record small, whatever the value', () => {
    const huge = { list: Array.from({ length: 10_000 }, (_, i) => ({ [`k${i}`]: 'v'.repeat(10_000) })) };
    expect(JSON.stringify(auditValue(huge, [], ARGS_LIMITS)).length).toBeLessThan(16 * 1024);
    let deep: unknown = 'bottom';
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(JSON.stringify(auditValue(deep, [], ARGS_LIMITS)).length).toBeLessThan(200);
    // Numbers and nulls count too: 32 wide and 6 deep would be a billion of them.
    let wide: unknown = 1.2345678901234567e300;
    for (let i = 0; i < 6; i++) wide = Array.from({ length: 32 }, () => wide);
    expect(JSON.stringify(auditValue(wide, [], ARGS_LIMITS)).length).toBeLessThan(10 * 1024);
  });

  it('writes wire values as JSON, and keys from the request as own keys', () => {
    const map = new Map<unknown, unknown>([
      [1, 'one'],
      ['password', 'x'],
    ]);
    const value = {
      big: 2n ** 70n,
      small: 5n,
      float: new Float64(3),
      bytes: new Uint8Array([1, 2, 3]),
      ext: new SaltExt(78, new Uint8Array(4)),
      inf: Infinity,
      none: undefined,
      map,
    };
    const parsed: unknown = JSON.parse('{"__proto__": {"polluted": true}, "constructor": "c"}');
    const written = auditValue(parsed, [], FIELD_LIMITS) as Record<string, unknown>;
    expect(Object.keys(written)).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(written)).toBeNull();
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(auditValue(value, [], ARGS_LIMITS)).toEqual({
      big: '1180591620717411303424',
      small: 5,
      float: 3,
      bytes: '[3 bytes]',
      ext: '[extension type 78]',
      inf: 'Infinity',
      none: null,
      map: { 1: 'one', password: '[redacted]' },
    });
  });
});

describe('runFields', () => {
  it("writes the chunk's arguments without its credentials, and never its password or token anywhere", () => {
    const session = tokenRecord({ token: 'f'.repeat(64), name: 'alice', eauth: 'pam' });
    const chunk = {
      client: 'local',
      tgt: ['web1', 'web2'],
      tgt_type: 'list',
      fun: 'cmd.run',
      arg: [`echo ${'f'.repeat(64)}`, 'mysecretpw'],
      kwarg: { env: { HOME: '/root' } },
      timeout: 30,
      username: 'alice',
      password: 'mysecretpw',
      eauth: 'pam',
      token: 'e'.repeat(64),
    };
    const fields = runFields(chunk, chunkSecrets(chunk, session, ['presented-session-id']));
    expect(fields).toEqual({
      client: 'local',
      fun: 'cmd.run',
      tgt: ['web1', 'web2'],
      tgt_type: 'list',
      arg_count: 2,
      args: { arg: ['[redacted]', '[redacted]'], kwarg: { env: { HOME: '/root' } }, timeout: 30 },
    });
    expect(runFields({ client: 'runner', fun: 'manage.up', arg: 'scalar' }, []).arg_count).toBe(1);
    expect(runFields({}, [])).toEqual({ client: null, fun: null, arg_count: 0, args: {} });
  });
});
