/**
 * The keys under `rest_cherrypy:` that salt-apid does not read, nested ones included (in
 * `events_replay`, `api_acl`, `event_hub` and each rule of `webhooks`). salt-api ignores every key
 * it does not know; the start warns about unknown options, `--check-config` refuses each unknown key
 * (src/check-config/unknown-keys.ts).
 */
import { isMapping } from './master-file.js';
import { API_ACL_KEYS, EVENTS_REPLAY_KEYS, KNOWN_OPTIONS } from './rest-settings.js';
import { EVENT_HUB_KEYS, WEBHOOK_RULE_KEYS } from './webhook-settings.js';

/** A key salt-apid does not read, where it is, and the keys that are read there. */
export interface UnknownKey {
  key: string;
  /** Its path in the master config, from `rest_cherrypy`. */
  path: string[];
  /** Where it is, as a person names it: `rest_cherrypy`, `rest_cherrypy.webhooks rule 2`. */
  within: string;
  known: readonly string[];
}

/** `queue_size` is read as `socket_queue_size`: known, but no name to suggest. */
const SUGGESTED_OPTIONS = [...KNOWN_OPTIONS].filter((key) => key !== 'queue_size');

function unknownIn(mapping: unknown, path: string[], within: string, known: readonly string[]): UnknownKey[] {
  if (!isMapping(mapping)) return [];
  const read = new Set(known);
  return Object.keys(mapping)
    .filter((key) => !read.has(key) && !(path.length === 1 && KNOWN_OPTIONS.has(key)))
    .map((key) => ({ key, path: [...path, key], within, known }));
}

/** Every key of a `rest_cherrypy:` mapping that salt-apid does not read, in the order of the file. */
export function unknownRestKeys(rest: unknown): UnknownKey[] {
  if (!isMapping(rest)) return [];
  const section = 'rest_cherrypy';
  const at = (key: string): [unknown, string[], string] => [
    Object.hasOwn(rest, key) ? rest[key] : undefined,
    [section, key],
    `${section}.${key}`,
  ];
  const rules = at('webhooks')[0];
  return [
    ...unknownIn(rest, [section], section, SUGGESTED_OPTIONS),
    ...unknownIn(...at('events_replay'), EVENTS_REPLAY_KEYS),
    ...unknownIn(...at('api_acl'), API_ACL_KEYS),
    ...unknownIn(...at('event_hub'), EVENT_HUB_KEYS),
    ...(Array.isArray(rules) ? rules : []).flatMap((rule: unknown, index) =>
      unknownIn(rule, [section, 'webhooks', String(index)], `${section}.webhooks rule ${index + 1}`, WEBHOOK_RULE_KEYS),
    ),
  ];
}
