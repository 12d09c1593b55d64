import { isIP } from 'node:net';

/** An RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens. */
const HOST_NAME =
  /^(?=.{1,253}\.?$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/**
 * Why `host` cannot be a listen address (an IPv4/IPv6 address or a host name), or undefined when
 * it can. A URL, a `host:port` pair or text with spaces would only fail later, inside listen().
 */
export function listenHostProblem(host: string): string | undefined {
  if (isIP(host) !== 0 || HOST_NAME.test(host)) return undefined;
  return `must be an IP address or a host name, got ${JSON.stringify(host)}`;
}
