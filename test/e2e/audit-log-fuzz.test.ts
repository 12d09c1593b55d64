import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apiForFile, json, login } from '../support/api.js';
import { AUDIT_DEMO, AUDIT_USERS, auditFileForFile, credentialsOf } from '../support/audit.js';
import { fuzzRuns, fuzzTimeout } from '../support/fuzz.js';

/**
 * Property: whatever lowstate a caller posts — secret-looking keys in any letter case, at any depth
 * of `kwarg`, as extra keys of the chunk, as `key=value` positional arguments, with values of any
 * shape — the audit log records every chunk and holds none of the secret values, nor the caller's
 * password or session id.
 */

/** `npm test`'s share (a few seconds); `npm run fuzz` runs more, from other seeds. */
const FUZZ = fuzzRuns(20261207, 25);

const audit = auditFileForFile();
const api = apiForFile({ demo: AUDIT_DEMO, auditLog: audit.sink });

/** Keys that name a secret, spelled in the ways configurations spell them. */
const secretKey = fc
  .tuple(
    fc.constantFrom('', 'db_', 'x-', 'my', 'API', 'ssh_', 'Vault.'),
    fc.constantFrom('password', 'Passwd', 'TOKEN', 'SeCrEt', 'key', 'Credentials', 'auth', 'private_key', 'apiKey'),
    fc.constantFrom('', '_1', 'Value', '-hash'),
  )
  .map(([prefix, stem, suffix]) => `${prefix}${stem}${suffix}`);

/** A chunk's own fields are not arguments: a top-level secret key never takes their names. */
const extraSecretKey = secretKey.filter((key) => !['token', 'password', 'TOKEN'].includes(key));

/**
 * A secret: `SV`, then characters that break naive parsers (never `Z`, nor any JSON escapes), then
 * `Z`: found as it is in the body's and the file's JSON.
 */
const secretValue = fc
  .string({ unit: fc.constantFrom(...'ABCDEFGHJKLMNPQRSTUVWXY0123456789 =,:;&}'), minLength: 8, maxLength: 24 })
  .map((text) => `SV${text}Z`);
const SECRET_PATTERN = /SV[^Z]*?Z/g;

const word = fc.stringMatching(/^[a-z]{1,8}$/);
/** What a secret key holds: the secret itself, or a list or mapping holding it. */
const secretHolder = fc.oneof(
  secretValue,
  fc.array(secretValue, { minLength: 1, maxLength: 2 }),
  fc.record({ v: secretValue }),
);

const { tree } = fc.letrec<{ tree: unknown; node: Record<string, unknown> }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    word,
    fc.array(tie('tree'), { maxLength: 3 }),
    tie('node'),
  ),
  node: fc
    .tuple(fc.dictionary(word, tie('tree'), { maxKeys: 3 }), fc.option(fc.tuple(secretKey, secretHolder)))
    .map(([plain, secret]) => (secret === null ? plain : { ...plain, [secret[0]]: secret[1] })),
}));

const positional = fc.oneof(
  word,
  fc.tuple(secretKey, secretValue).map(([key, value]) => `${key}=${value}`),
);

/** One chunk's positional arguments, its `kwarg`, and maybe a secret as an extra key of its own. */
const chunk = fc.tuple(fc.array(positional, { maxLength: 4 }), tree, fc.option(fc.tuple(extraSecretKey, secretHolder)));

interface Case {
  route: '/' | '/run';
  chunks: Array<[unknown[], unknown, [string, unknown] | null]>;
}

const cases: fc.Arbitrary<Case> = fc.record({
  route: fc.constantFrom('/' as const, '/run' as const),
  chunks: fc.array(chunk, { minLength: 1, maxLength: 3 }),
});

let runs = 0;

describe('audit log under fuzzing', () => {
  it(
    'records every chunk and never a secret value',
    async () => {
      const { token } = await login(api, credentialsOf('alice'));
      await fc.assert(
        fc.asyncProperty(cases, async ({ route, chunks }) => {
          const run = ++runs;
          const body = chunks.map(([args, kwarg, extra], index) => ({
            client: 'local',
            tgt: 'no-minion-matches-this',
            fun: 'test.arg',
            arg: [`fuzz-${run}-${index}`, ...args],
            kwarg,
            ...(extra === null ? {} : { [extra[0]]: extra[1] }),
            ...(route === '/run' ? credentialsOf('alice') : {}),
          }));
          const headers = route === '/' ? { 'x-auth-token': token } : {};
          const response = await api.call(route, json(body, headers));
          expect(response.status, await response.text()).toBe(200);
          const records = await audit.waitFor(
            (r) => JSON.stringify(r.args ?? null).includes(`"fuzz-${run}-`),
            body.length,
          );
          expect(records).toHaveLength(body.length);
          const secrets = JSON.stringify(body).match(SECRET_PATTERN) ?? [];
          const text = await audit.text();
          const leaked = [...secrets, AUDIT_USERS.alice, token].filter((secret) => text.includes(secret));
          expect(leaked).toEqual([]);
        }),
        FUZZ,
      );
    },
    fuzzTimeout(120_000),
  );
});
