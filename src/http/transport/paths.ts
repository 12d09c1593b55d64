import type { RestSettings } from '../../config/types.js';

/** `/x/` or `x` → `/x`; `/` → `` (root_prefix, app_path and static_path as configured). */
export function mountPath(path: string): string {
  const trimmed = path.trim().replace(/^\/+/, '').replace(/\/+$/, '');
  return trimmed === '' ? '' : `/${trimmed}`;
}

/** The path of a request URL, query cut off, as received (not decoded). */
export function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query >= 0 ? url.slice(0, query) : url;
}

/** The path of a request URL without its query, percent-decoded as CherryPy's `path_info` is. */
export function decodedPath(url: string): string {
  const path = pathOf(url);
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * Whether a request path is the web app, a static file or the favicon (each under root_prefix):
 * the paths salt-api keeps out of its API checks (authorized_ips, ssl_allowed_cn).
 */
export function assetPathMatcher(
  rest: Pick<RestSettings, 'rootPrefix' | 'appPath' | 'staticPath'>,
): (path: string) => boolean {
  const prefix = mountPath(rest.rootPrefix);
  const bases = [mountPath(rest.appPath), mountPath(rest.staticPath), '/favicon.ico']
    .filter((path) => path !== '')
    .map((path) => prefix + path);
  return (path) => bases.some((base) => path === base || path.startsWith(`${base}/`));
}
