import { inspect } from 'node:util';

/**
 * A secret from the configuration (a webhook's shared secret, the event hub's token). It prints
 * as `[secret]` however it is logged, serialised or inspected; only {@link Secret.bytes} gives the
 * value, to the code that compares it.
 */
export class Secret {
  readonly #bytes: Buffer;

  constructor(value: string | Buffer) {
    this.#bytes = Buffer.isBuffer(value) ? Buffer.from(value) : Buffer.from(value, 'utf8');
  }

  get bytes(): Buffer {
    return this.#bytes;
  }

  get length(): number {
    return this.#bytes.length;
  }

  toString(): string {
    return '[secret]';
  }

  toJSON(): string {
    return '[secret]';
  }

  [inspect.custom](): string {
    return '[secret]';
  }
}

/** Words of an option name that make its value a secret (`cache.redis.password`, a rule's `secret`). */
const SECRET_WORDS = new Set([
  'secret',
  'password',
  'passwd',
  'pass',
  'passphrase',
  'token',
  'credential',
  'credentials',
]);
/** Pairs of words that do too (`private_key`, `api_key`, `auth_key`). */
const SECRET_PAIRS = new Set(['private key', 'api key', 'auth key', 'access key']);
/** Last words of options that name where a secret is, or what it is like, not the secret itself. */
const NOT_THE_SECRET = new Set(['file', 'path', 'dir', 'expire', 'name', 'type', 'url', 'urls', 'tokens']);

/**
 * Whether an option's value is a secret by its name, whatever mapping it sits in: `secret`,
 * `token`, `cache.redis.password`, `private_key`… but not `secret_file`, `token_expire` or
 * `ssl_key` (a path). Only text and numbers under such a name are hidden: `keep_acl_in_token` is a
 * flag.
 */
export function isSecretKey(key: string): boolean {
  const words = key
    .toLowerCase()
    .split(/[._\-\s]+/)
    .filter((word) => word !== '');
  const last = words[words.length - 1];
  if (last === undefined || NOT_THE_SECRET.has(last)) return false;
  return words.some((word, index) => SECRET_WORDS.has(word) || SECRET_PAIRS.has(`${word} ${words[index + 1] ?? ''}`));
}
