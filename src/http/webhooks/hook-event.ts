import type { SaltMap, SaltValue } from '../../salt/codec/values.js';
import { emptyDict } from '../../dict.js';
import { asciiTitle } from '../../python/str-title.js';

/**
 * The event salt-api fires for `POST <webhook_url>[/<path>]` (docs/routes.md "POST /hook"):
 * tag `salt/netapi/hook` plus the path segments, data `{body, post, headers, _stamp}` with the
 * header names capitalised as CherryPy does and the client address as `Remote-Addr`. Reactor
 * SLS files read these keys, so their names and layout must not change. Credential headers are
 * the one difference: they are left out (see {@link CREDENTIAL_HEADERS}).
 */
export const HOOK_TAG = 'salt/netapi/hook';

/**
 * Request headers that carry credentials or webhook secrets, lower-cased. salt-api copies them
 * into the event like every other header, where any reader of `/events` can pick up the caller's
 * session, password or signing secret; salt-apid leaves them out of the event (only them).
 */
export const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'cookie',
  'proxy-authorization',
  'x-auth-token',
  'x-gitea-signature',
  'x-gitlab-token',
  'x-gogs-signature',
  'x-hub-signature',
  'x-hub-signature-256',
]);

/** True for a header {@link CREDENTIAL_HEADERS} names, in any letter case. */
export function isCredentialHeader(name: string): boolean {
  return CREDENTIAL_HEADERS.has(name.toLowerCase());
}

export interface HookRequest {
  /** The URL path after the webhook URL, still percent-encoded, without the query string. */
  subPath: string;
  /** The request body as text (`""` without one). */
  rawBody: string;
  /** The parsed body (after lowstate-style `arg` wrapping); undefined without one. */
  parsedBody: unknown;
  /** Node's `rawHeaders`: names and values alternating, in arrival order. */
  rawHeaders: readonly string[];
  remoteAddress: string;
  /** When the event is stamped; `_stamp` is written as ISO-8601 UTC with an explicit offset. */
  now?: Date;
}

/** `salt/netapi/hook` + the decoded path segments; empty trailing segments are dropped. */
export function hookTag(subPath: string): string {
  const segments = subPath.split('/').map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      return segment;
    }
  });
  while (segments.length > 0 && segments[0] === '') segments.shift();
  while (segments.length > 0 && segments[segments.length - 1] === '') segments.pop();
  return segments.length === 0 ? HOOK_TAG : `${HOOK_TAG}/${segments.join('/')}`;
}

/** True when the text holds a C0 control character or DEL (after percent-decoding, for a path). */
export function hasControlChars(text: string): boolean {
  return /[\u0000-\u001f\u007f]/.test(text);
}

/** Salt's `_stamp`: microseconds and an explicit UTC offset, as the 3008 master writes it. */
export function saltStamp(now: Date): string {
  return now.toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00');
}

function headersOf(rawHeaders: readonly string[], remoteAddress: string): SaltMap {
  const headers = emptyDict<SaltValue>();
  headers['Remote-Addr'] = remoteAddress;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const rawName = rawHeaders[i]!;
    if (isCredentialHeader(rawName)) continue;
    const name = asciiTitle(rawName);
    // The peer address comes from the socket; a client's own Remote-Addr header is not believed.
    if (name === 'Remote-Addr') continue;
    const value = rawHeaders[i + 1]!;
    const previous = headers[name];
    headers[name] = typeof previous === 'string' ? `${previous}, ${value}` : value;
  }
  return headers;
}

function isFalsy(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value).length === 0;
}

export function hookEvent(request: HookRequest): { tag: string; data: SaltMap } {
  const post = isFalsy(request.parsedBody) ? {} : (request.parsedBody as SaltValue);
  return {
    tag: hookTag(request.subPath),
    data: {
      body: request.rawBody,
      post,
      headers: headersOf(request.rawHeaders, request.remoteAddress),
      _stamp: saltStamp(request.now ?? new Date()),
    },
  };
}
