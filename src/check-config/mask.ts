/**
 * Secrets out of what `--check-config` prints. Structurally: every value of an option whose name
 * says it is a secret (isSecretKey: `secret`, `token`, `cache.redis.password`…) and every Secret
 * becomes MASK; in any text, a URL's password (`redis://:pw@host`), a secret-named query parameter
 * (`?token=…`) and a PEM private key are masked. Then, as a last guard over every line printed, the
 * Redactor masks each secret value the config file holds wherever it still shows (a message that
 * quotes one, say).
 */
import { isMapping } from '../config/master-file.js';
import { isSecretKey, Secret } from '../config/secret.js';
import { emptyDict, setOwn } from '../dict.js';

export const MASK = '********';

/** `scheme://user:password@` (the user may be empty): the password. */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*:)([^\s/?#@]+)@/gi;
/** `?token=…`, `&password=…`, `;api_key=…`: the value. */
const SECRET_PARAMETER = /([?&;][^=&;\s?#]*(?:token|pass|secret|key)[^=&;\s?#]*=)([^&;\s#]+)/gi;
const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;

/** `text` with URL passwords, secret query parameters and PEM private keys masked. */
export function maskText(text: string): string {
  return text
    .replace(PRIVATE_KEY, MASK)
    .replace(URL_PASSWORD, (_, head: string) => `${head}${MASK}@`)
    .replace(SECRET_PARAMETER, (_, head: string) => `${head}${MASK}`);
}

const isScalarSecret = (value: unknown): value is string | number | bigint | Uint8Array =>
  (typeof value === 'string' && value !== '') ||
  typeof value === 'number' ||
  typeof value === 'bigint' ||
  value instanceof Uint8Array;

/** A copy of `value` (the value of option `key`) with its secrets masked; mappings come out null-prototype. */
export function maskValue(value: unknown, key = ''): unknown {
  if (value instanceof Secret) return MASK;
  if (isSecretKey(key) && isScalarSecret(value)) return MASK;
  if (typeof value === 'string') return maskText(value);
  if (Array.isArray(value)) return value.map((item: unknown) => maskValue(item, key));
  if (isMapping(value)) {
    const copy = emptyDict<unknown>();
    for (const [name, item] of Object.entries(value)) setOwn(copy, name, maskValue(item, name));
    return copy;
  }
  return value;
}

/** The passwords of the URLs in `text`. */
function urlPasswords(text: string): string[] {
  return [...text.matchAll(URL_PASSWORD), ...text.matchAll(SECRET_PARAMETER)].map((match) => match[2] ?? '');
}

/** Every secret value in a configuration as read: values of secret-named options, URL passwords. */
export function secretsIn(value: unknown, key = ''): string[] {
  if (value instanceof Secret) return [value.bytes.toString('utf8')];
  if (isSecretKey(key) && isScalarSecret(value)) {
    return [value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : String(value)];
  }
  if (typeof value === 'string') return urlPasswords(value);
  if (Array.isArray(value)) return value.flatMap((item: unknown) => secretsIn(item, key));
  if (isMapping(value)) return Object.entries(value).flatMap(([name, item]) => secretsIn(item, name));
  return [];
}

/** Secrets shorter than this are left to the structural masking: masking `abc` everywhere would garble the output. */
export const MIN_REDACTED_LENGTH = 4;

/** Masks, in any text, the secret values it was given (the longest first) and what maskText masks. */
export class Redactor {
  private readonly secrets: string[];

  constructor(secrets: Iterable<string>) {
    const long = [...new Set(secrets)].filter((secret) => secret.length >= MIN_REDACTED_LENGTH);
    this.secrets = long.sort((left, right) => right.length - left.length);
  }

  apply(text: string): string {
    let masked = text;
    for (const secret of this.secrets) masked = masked.split(secret).join(MASK);
    return maskText(masked);
  }
}
