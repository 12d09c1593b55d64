/**
 * Which requests without a length are refused with 411 (docs/routes.md "Requests without a
 * length"). CherryPy reads the body of every POST, PUT and PATCH before it calls the handler, and
 * refuses one that declares neither `Content-Length` nor `Transfer-Encoding`; salt-api's
 * `hypermedia_in` tool turns that reading off for a POST without a length (or with length 0), so
 * that its resources take such a POST as one with an empty body.
 */
import type { IncomingHttpHeaders } from 'node:http';

/**
 * `post-put-patch`: CherryPy's own rule (resources without `hypermedia_in`, unknown paths);
 * `put-patch`: salt-api's `hypermedia_in` resources; `none`: the WebSocket resources, which refuse
 * every method but GET before any body is considered.
 */
export type LengthRule = 'post-put-patch' | 'put-patch' | 'none';

const METHODS: Readonly<Record<LengthRule, ReadonlySet<string>>> = {
  'post-put-patch': new Set(['POST', 'PUT', 'PATCH']),
  'put-patch': new Set(['PUT', 'PATCH']),
  none: new Set(),
};

/** Whether `rule` wants a length of this request and it declares none (chunked counts as one). */
export function lacksRequiredLength(
  request: { method: string; headers: IncomingHttpHeaders },
  rule: LengthRule,
): boolean {
  if (!METHODS[rule].has(request.method)) return false;
  const { headers } = request;
  return headers['content-length'] === undefined && headers['transfer-encoding'] === undefined;
}
