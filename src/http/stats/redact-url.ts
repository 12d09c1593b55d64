/**
 * Request URLs fit for the logs. `/events`, `/ws` and rest_tornado's `/all_events` and
 * `/formatted_events` can carry a token in the query string or as a path segment, so both are
 * cut. The route is recognised on the path as a router could read it — percent-escapes decoded,
 * any letter case, runs of slashes, `;` segment parameters — so `/%65vents/<token>`,
 * `//EVENTS/<token>` or `/events;x/<token>` are cut as well. A `token` or `salt_token` query
 * parameter is cut from any URL.
 */
import { pathOf } from '../transport/paths.js';

export const REDACTED = '[redacted]';

const TOKEN_ROUTES: ReadonlySet<string> = new Set(['events', 'ws', 'all_events', 'formatted_events']);
const TOKEN_PARAMS: ReadonlySet<string> = new Set(['token', 'salt_token']);
/** Escapes decoded at most this many times over (`%2565` → `%65` → `e`). */
const MAX_DECODING_ROUNDS = 4;

/** `%XX` escapes decoded byte by byte (invalid ones kept), repeatedly while anything changes. */
function percentDecoded(text: string): string {
  let current = text;
  for (let round = 0; round < MAX_DECODING_ROUNDS && current.includes('%'); round++) {
    const next = current.replace(/%([0-9a-fA-F]{2})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    if (next === current) break;
    current = next;
  }
  return current;
}

/** The path's segments as a router could read them: decoded, lower case, without empty ones or `;params`. */
function canonicalSegments(path: string): string[] {
  return percentDecoded(path)
    .toLowerCase()
    .split('/')
    .map((segment) => segment.split(';')[0] ?? '')
    .filter((segment) => segment !== '');
}

/** True when the query string names a `token` or `salt_token` parameter, however it is spelled. */
function queryCarriesToken(query: string): boolean {
  return query.split(/[&;]/).some((pair) => {
    const name = pair.split('=')[0] ?? '';
    return TOKEN_PARAMS.has(percentDecoded(name.replace(/\+/g, ' ')).trim().toLowerCase());
  });
}

/** The index of the token route's segment: the first one after the prefix's, or the very first. */
function tokenRouteAt(segments: readonly string[], prefix: readonly string[]): number {
  const underPrefix = prefix.every((segment, i) => segments[i] === segment);
  for (const index of underPrefix ? [prefix.length, 0] : [0]) {
    const segment = segments[index];
    if (segment !== undefined && TOKEN_ROUTES.has(segment)) return index;
  }
  return -1;
}

/**
 * `url` with any token it may carry cut: the path after a token route becomes `[redacted]`, and
 * so does the query string of a token route or of any URL with a `token`/`salt_token` parameter.
 * A redacted URL is written in its plain form (`<root_prefix>/events/[redacted]`).
 */
export function redactUrl(url: string, rootPrefix: string): string {
  const path = pathOf(url);
  const query = path.length < url.length ? url.slice(path.length + 1) : undefined;
  const prefix = canonicalSegments(rootPrefix);
  const segments = canonicalSegments(path);
  const at = tokenRouteAt(segments, prefix);
  if (at >= 0) {
    const base = at === 0 ? '' : rootPrefix.replace(/\/+$/, '');
    const routePath = `${base}/${segments[at]}`;
    if (segments.length > at + 1) return `${routePath}/${REDACTED}`;
    if (query !== undefined) return `${routePath}?${REDACTED}`;
    return url;
  }
  if (query !== undefined && queryCarriesToken(query)) return `${path}?${REDACTED}`;
  return url;
}
