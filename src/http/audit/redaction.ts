/**
 * What the audit log never writes (docs/decisions/0030-audit-log.md): the value of any key that
 * looks like it names a secret, a credential written inside a text (`password=…`, `token: …`,
 * `Bearer …`, the password of a URL), and any text holding one of the secrets the request itself
 * presented (its password, its Salt token, its session id).
 */

/** Parts of a key, in lower case, that make its value secret: `ssh_passwd`, `api_key`, `X-Auth-Token`… */
const SECRET_KEY_PARTS = [
  'pass',
  'pwd',
  'token',
  'secret',
  'key',
  'cred',
  'auth',
  'signature',
  'cookie',
  'session',
  'private',
] as const;

/** What a redacted value reads as. */
export const REDACTED = '[redacted]';

/**
 * Whether `key` looks like it names a secret (case-insensitive; `monkey` counts too, by design). Wider
 * than the config's `isSecretKey` (config/secret.ts), which reads whole words and spares `secret_file`:
 * a request's arguments are anyone's words, and a record rather hides too much than too little.
 */
export function looksLikeSecretKey(key: string): boolean {
  const lower = key.toLowerCase();
  return SECRET_KEY_PARTS.some((part) => lower.includes(part));
}

const KEY_PART = SECRET_KEY_PARTS.join('|');

/** `Bearer abc…`, `Basic abc…`, `token abc…`: an HTTP credential as written in a header. */
const SCHEME_CREDENTIAL = /\b(bearer|basic|token)(\s+)[A-Za-z0-9._~+/=-]{8,}/gi;

/** The password of a URL: `scheme://user:password@host`. */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]{0,31}:\/\/[^\s:@/]{0,256}:)[^\s@/]*(@)/gi;

/**
 * `password=x`, `api_key: x`, `"token": "x"`, `--db-password=x`: a secret-looking key (at most 64
 * characters of key, so that a long word costs no backtracking) followed by `=` or `:` and its value,
 * up to a space, `&`, `,`, `;` or a closing bracket, or the closing quote of a quoted value.
 */
const KEY_VALUE = new RegExp(
  `([A-Za-z0-9_.-]{0,64}(?:${KEY_PART})[A-Za-z0-9_.-]{0,64}["']?\\s{0,8}[=:]\\s{0,8})("[^"]*"?|'[^']*'?|[^\\s&,;}\\])]*)`,
  'gi',
);

/** `--password value`: a secret-looking option of a command line, then its value. */
const OPTION_VALUE = new RegExp(`(--?[A-Za-z0-9_-]{0,64}(?:${KEY_PART})[A-Za-z0-9_-]{0,64}\\s+)(?![=:-])\\S+`, 'gi');

/**
 * A positional argument Salt reads as a keyword argument (`salt.utils.args`' KWARG_REGEX): all of
 * it after the first `=` is the value, spaces and all.
 */
const KWARG_ARGUMENT = /^([^\d\W][\w.-]*)=(?!=)/u;

/** A text without `=`, `:` or a space holds none of the patterns below. */
const NEEDS_A_LOOK = /[=:\s]/;

/** The credentials written inside `text`, replaced by `[redacted]`; the rest of the text as it was. */
export function redactCredentialsIn(text: string): string {
  // Every pattern needs a separator: most arguments (names, globs, numbers) have none.
  if (!NEEDS_A_LOOK.test(text)) return text;
  const kwarg = KWARG_ARGUMENT.exec(text);
  if (kwarg?.[1] !== undefined && looksLikeSecretKey(kwarg[1])) return `${kwarg[1]}=${REDACTED}`;
  return text
    .replace(SCHEME_CREDENTIAL, `$1$2${REDACTED}`)
    .replace(URL_PASSWORD, `$1${REDACTED}$2`)
    .replace(KEY_VALUE, `$1${REDACTED}`)
    .replace(OPTION_VALUE, `$1${REDACTED}`);
}

/** Whether `text` holds one of `secrets` (the request's own password, token, session id…). */
export function holdsSecret(text: string, secrets: readonly string[]): boolean {
  return secrets.some((secret) => secret !== '' && text.includes(secret));
}
