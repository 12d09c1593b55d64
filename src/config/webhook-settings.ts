import { readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { isMapping } from './master-file.js';
import type { OptionReader } from './option-reader.js';
import { Secret } from './secret.js';
import { errorCode } from '../error-fields.js';

/**
 * salt-apid's own `rest_cherrypy` options for webhooks (salt-api ignores them): `webhooks`, a list
 * of per-path rules, first match wins, and `event_hub`, salt-event-hub's `/<event>/trigger` API.
 * Secrets are read once, at start, from `secret`/`secret_file` (`token`/`token_file`); a file's
 * trailing newline is not part of the secret.
 */

export const WEBHOOK_AUTH_KINDS = ['salt', 'none', 'token', 'github', 'gitea', 'gitlab'] as const;
export type WebhookAuth = (typeof WEBHOOK_AUTH_KINDS)[number];

export interface WebhookRule {
  /** A glob (fnmatch) over the path after `webhook_url`, e.g. `github/*`. */
  path: string;
  auth: WebhookAuth;
  /** The shared secret of `token`, `github`, `gitea` and `gitlab` rules. */
  secret: Secret | undefined;
  /** `token` rules: the header carrying the secret (`Authorization` means `Bearer <secret>`). */
  header: string;
  /** Socket addresses allowed to deliver; undefined: any. */
  allowFrom: BlockList | undefined;
  /** The `allow_from` entries as written, for logs. */
  allowFromText: string[];
  /**
   * Seconds a delivery of a `github`, `gitea` or `gitlab` rule (the digest of its verified body, not
   * its unsigned delivery id) is remembered; 0 turns replay detection off.
   */
  replayWindow: number;
}

export interface EventHubSettings {
  token: Secret;
  /** Globs a tag must match; undefined: any tag not starting with `salt/`. */
  allowedTags: string[] | undefined;
}

/** The keys a `webhooks` rule may have (readRule reads no other). */
export const WEBHOOK_RULE_KEYS: readonly string[] = [
  'path',
  'auth',
  'secret',
  'secret_file',
  'header',
  'allow_from',
  'replay_window',
];

/** The keys of `event_hub` (readEventHub reads no other). */
export const EVENT_HUB_KEYS: readonly string[] = ['token', 'token_file', 'allowed_tags'];

const SECRET_KINDS: ReadonlySet<WebhookAuth> = new Set(['token', 'github', 'gitea', 'gitlab']);
const DEFAULT_REPLAY_WINDOW = 300;
const MAX_SECRET_BYTES = 64 * 1024;

type Fail = (problem: string) => Error;

function readSecret(entry: Record<string, unknown>, valueKey: string, fileKey: string, fail: Fail): Secret | undefined {
  const value = entry[valueKey];
  const file = entry[fileKey];
  if (value !== undefined && file !== undefined) throw fail(`give either ${valueKey} or ${fileKey}, not both`);
  if (value !== undefined) {
    if (typeof value !== 'string' || value === '') throw fail(`${valueKey} must be a non-empty string`);
    return new Secret(value);
  }
  if (file === undefined) return undefined;
  if (typeof file !== 'string') throw fail(`${fileKey} must be a path`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw fail(`${fileKey} ${file} cannot be read (${errorCode(error) ?? 'error'})`);
  }
  if (bytes.length > MAX_SECRET_BYTES) throw fail(`${fileKey} ${file} is too large for a secret`);
  const text = bytes.toString('utf8').replace(/\r?\n$/, '');
  if (text === '') throw fail(`${fileKey} ${file} is empty`);
  return new Secret(text);
}

/** `allow_from`: addresses and CIDR blocks, IPv4 and IPv6. */
function readAllowFrom(value: unknown, fail: Fail): { list: BlockList | undefined; text: string[] } {
  if (value === undefined) return { list: undefined, text: [] };
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw fail('allow_from must be a list of addresses or CIDR blocks');
  }
  const list = new BlockList();
  for (const item of value as string[]) {
    const [address = '', prefix] = item.split('/');
    const family = isIP(address);
    const bits = prefix === undefined ? (family === 6 ? 128 : 32) : Number(prefix);
    const max = family === 6 ? 128 : 32;
    if (family === 0 || !Number.isInteger(bits) || bits < 0 || bits > max || prefix === '') {
      throw fail(`allow_from entry ${JSON.stringify(item)} is not an address or CIDR block`);
    }
    list.addSubnet(address, bits, family === 6 ? 'ipv6' : 'ipv4');
  }
  return { list, text: value as string[] };
}

function readRule(entry: unknown, index: number, fail: (problem: string) => Error): WebhookRule {
  const ruleFail: Fail = (problem) => fail(`rule ${index + 1}: ${problem}`);
  if (!isMapping(entry)) throw ruleFail('must be a mapping with at least `path`');
  const path = entry['path'];
  if (typeof path !== 'string' || path === '') throw ruleFail('path must be a non-empty glob');
  const auth = entry['auth'] ?? 'salt';
  if (typeof auth !== 'string' || !(WEBHOOK_AUTH_KINDS as readonly string[]).includes(auth)) {
    throw ruleFail(`auth must be one of ${WEBHOOK_AUTH_KINDS.join(', ')}`);
  }
  const kind = auth as WebhookAuth;
  const secret = readSecret(entry, 'secret', 'secret_file', ruleFail);
  if (SECRET_KINDS.has(kind) && secret === undefined) throw ruleFail(`auth ${kind} needs secret or secret_file`);
  const header = entry['header'] ?? 'Authorization';
  if (typeof header !== 'string' || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(header)) {
    throw ruleFail('header must be an HTTP header name');
  }
  const replayWindow = entry['replay_window'] ?? DEFAULT_REPLAY_WINDOW;
  if (typeof replayWindow !== 'number' || !Number.isInteger(replayWindow) || replayWindow < 0) {
    throw ruleFail('replay_window must be a whole number of seconds');
  }
  const allow = readAllowFrom(entry['allow_from'], ruleFail);
  return { path, auth: kind, secret, header, allowFrom: allow.list, allowFromText: allow.text, replayWindow };
}

export function readWebhookRules(rest: OptionReader): WebhookRule[] {
  const raw = rest.raw('webhooks');
  if (raw === undefined) return [];
  const fail = (problem: string): Error => rest.fail('webhooks', problem);
  if (!Array.isArray(raw)) throw fail('must be a list of rules');
  return raw.map((entry, index) => readRule(entry, index, fail));
}

/**
 * Each rule read on its own: the rule, or why it is refused (readWebhookRules stops at the first
 * refusal; `--check-config` tells them all, and checks the rules that read).
 */
export function readEachWebhookRule(rest: OptionReader): Array<WebhookRule | Error> {
  const raw = rest.raw('webhooks');
  if (!Array.isArray(raw)) return [];
  const fail = (problem: string): Error => rest.fail('webhooks', problem);
  return raw.map((entry: unknown, index) => {
    try {
      return readRule(entry, index, fail);
    } catch (error) {
      if (error instanceof Error) return error;
      throw error;
    }
  });
}

export function readEventHub(rest: OptionReader): EventHubSettings | undefined {
  const raw = rest.raw('event_hub');
  if (raw === undefined) return undefined;
  const fail: Fail = (problem) => rest.fail('event_hub', problem);
  if (!isMapping(raw)) throw fail('must be a mapping with token or token_file');
  const token = readSecret(raw, 'token', 'token_file', fail);
  if (token === undefined) throw fail('needs token or token_file');
  const tags = raw['allowed_tags'];
  if (tags !== undefined && (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string' || tag === ''))) {
    throw fail('allowed_tags must be a list of tag globs');
  }
  return { token, allowedTags: tags as string[] | undefined };
}
