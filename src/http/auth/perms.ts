/**
 * The `perms` list /login reports (docs/routes.md "POST /login"): what `external_auth` grants the
 * user, as salt-api gathers it. Informational only — the master enforces the ACL on every command.
 */
import type { TokenRecord } from '../../salt/clear-commands.js';
import { safeText } from '../../dict.js';
import { pythonRepr } from '../../python/repr.js';

type ExternalAuth = Readonly<Record<string, Readonly<Record<string, readonly unknown[]>>>>;

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The user's own entries, then `'*'`'s, then those of every group `<g>%` the token lists;
 * de-duplicated, strings sorted first, then the other entries sorted by their text. `{}` (an
 * empty object, as salt-api answers) when nothing is granted.
 */
export function loginPerms(externalAuth: ExternalAuth, token: TokenRecord): unknown[] | Record<string, never> {
  const backend = (Object.hasOwn(externalAuth, token.eauth) ? externalAuth[token.eauth] : undefined) ?? {};
  const authList = token['auth_list'];
  if (
    Array.isArray(authList) &&
    ((token.eauth === 'django' && Object.hasOwn(backend, '^model')) || token.eauth === 'rest')
  ) {
    return authList.length > 0 ? authList : {};
  }

  // A malformed entry (not a list) grants nothing here, as salt-api's `except` leaves perms empty.
  const entriesOf = (key: string): readonly unknown[] => {
    const value = Object.hasOwn(backend, key) ? backend[key] : undefined;
    return Array.isArray(value) ? value : [];
  };
  const entries: unknown[] = [...entriesOf(token.name), ...entriesOf('*')];
  const groups = Array.isArray(token.groups) ? token.groups : [];
  for (const group of new Set(groups)) entries.push(...entriesOf(`${safeText(group)}%`));

  const strings = new Set<string>();
  const others = new Map<string, unknown>();
  for (const entry of entries) {
    if (typeof entry === 'string') strings.add(entry);
    else {
      const text = pythonRepr(entry);
      if (!others.has(text)) others.set(text, entry);
    }
  }
  const perms = [...[...strings].sort(byText), ...[...others.keys()].sort(byText).map((text) => others.get(text))];
  return perms.length > 0 ? perms : {};
}
