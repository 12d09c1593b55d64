import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MASK, Redactor, maskText, maskValue, secretsIn } from '../../src/check-config/mask.js';
import { isSecretKey, Secret } from '../../src/config/secret.js';
import { checkConfigDir as configDir, runCheck } from '../support/check-config.js';
import { removeConfigTrees } from '../support/config-tree.js';

afterEach(removeConfigTrees);

describe('which options hold secrets', () => {
  it.each(['secret', 'token', 'password', 'cache.redis.password', 'private_key', 'api_key', 'sasl_pass', 'auth_key'])(
    '%s does',
    (key) => expect(isSecretKey(key)).toBe(true),
  );

  it.each(['secret_file', 'token_file', 'token_expire', 'ssl_key', 'events_url_tokens', 'port', 'hash_type', 'key'])(
    '%s does not',
    (key) => expect(isSecretKey(key)).toBe(false),
  );
});

describe('masking', () => {
  it('a URL password, a secret query parameter, a PEM private key', () => {
    expect(maskText('redis://:s3cret@cache:6379/0')).toBe(`redis://:${MASK}@cache:6379/0`);
    expect(maskText('see https://bob:pw@example.com/x and rediss://u:p@h')).toBe(
      `see https://bob:${MASK}@example.com/x and rediss://u:${MASK}@h`,
    );
    expect(maskText('https://example.com/events?token=abc123&tag=x')).toBe(
      `https://example.com/events?token=${MASK}&tag=x`,
    );
    expect(maskText('-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n')).toBe(`${MASK}\n`);
    expect(maskText('https://example.com/path')).toBe('https://example.com/path');
  });

  it('values of secret options and Secrets, at any depth; flags and numbers of other options kept', () => {
    const masked = maskValue({
      token_expire: 43200,
      keep_acl_in_token: true,
      webhooks: [{ path: 'a', secret: new Secret('x') }],
      'cache.redis.password': 'pw',
      nested: { password: 1234, passwords: ['a', 'b'] },
    });
    expect(masked).toEqual({
      token_expire: 43200,
      keep_acl_in_token: true,
      webhooks: [{ path: 'a', secret: MASK }],
      'cache.redis.password': MASK,
      nested: { password: MASK, passwords: ['a', 'b'] },
    });
  });

  it('the Redactor masks every secret the config holds, wherever it shows, the longest first', () => {
    const secrets = secretsIn({
      rest_cherrypy: { event_hub: { token: 'hub-token' } },
      url: 'redis://:url-password@h',
      password: 'abc',
    });
    expect(secrets).toEqual(['hub-token', 'url-password', 'abc']);
    const redactor = new Redactor([...secrets, 'hub-token-longer']);
    expect(redactor.apply('x hub-token-longer y hub-token z url-password abc')).toBe(
      `x ${MASK} y ${MASK} z ${MASK} abc`,
    );
  });
});

/** Every secret the configuration below holds, each of which must not be printed. */
const SECRETS = [
  'gh-webhook-secret-7f3a',
  'file-secret-9c1d',
  'hub-token-4e2b',
  'hub-file-token-8a7f',
  'redis-password-5d6e',
  'proxy-password-3b9c',
];

function secretConfig(): string {
  return configDir({
    top: (d) => {
      writeFileSync(join(d, 'hook.secret'), 'file-secret-9c1d\n');
      writeFileSync(join(d, 'hub.token'), 'hub-file-token-8a7f\n');
      return ['cache: redis', 'cache.redis.password: redis-password-5d6e'];
    },
    rest: (d) => [
      'cors_origin: https://admin:proxy-password-3b9c@proxy.example.com',
      'session_store: cache',
      'webhooks:',
      "  - {path: 'github/*', auth: github, secret: gh-webhook-secret-7f3a}",
      `  - {path: 'gitlab/*', auth: gitlab, secret_file: ${join(d, 'hook.secret')}}`,
      `event_hub: {token: hub-token-4e2b, token_file: ${join(d, 'hub.token')}}`,
      'host: "redis://:hub-token-4e2b@x"',
    ],
  });
}

describe('--check-config prints no secret', () => {
  it('in the YAML settings and the problems', async () => {
    const check = await runCheck(secretConfig());
    // The event hub gives both token and token_file, and the host is refused quoting its value.
    expect(check.errors).toEqual([
      expect.stringContaining(`rest_cherrypy.host: must be an IP address or a host name, got "redis://:${MASK}@x"`),
      expect.stringContaining('rest_cherrypy.event_hub: give either token or token_file, not both'),
    ]);
    expect(check.stdout).toContain(`secret: '${MASK}'`);
    expect(check.stdout).toContain(`cache.redis.password: '${MASK}'`);
    expect(check.stdout).toContain(`cors_origin: https://admin:${MASK}@proxy.example.com`);
    for (const secret of SECRETS) {
      expect(check.stdout).not.toContain(secret);
      expect(check.stderr).not.toContain(secret);
    }
  });

  it('in the JSON report', async () => {
    const check = await runCheck(secretConfig(), ['--out', 'json']);
    expect(check.stderr).toBe('');
    const report = JSON.parse(check.stdout) as { ok: boolean; settings: { rest_cherrypy: { webhooks: unknown[] } } };
    expect(report.ok).toBe(false);
    expect(report.settings.rest_cherrypy.webhooks).toEqual([
      expect.objectContaining({ path: 'github/*', secret: MASK }),
      expect.objectContaining({ path: 'gitlab/*', secret: MASK }),
    ]);
    for (const secret of SECRETS) expect(check.stdout).not.toContain(secret);
  });
});
