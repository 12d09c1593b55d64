/**
 * `authorized_ips` (docs/routes.md "Request pipeline order"): on every API route the client must
 * connect from a listed address, else 403 "Bad IP".
 *
 * The address is the socket's peer address — never a `Remote-Addr` or `X-Forwarded-For` request
 * header (salt-api trusts `Remote-Addr`, a defect salt-apid fixes: anyone could claim any address;
 * docs/routes.md "Deliberate differences from salt-api"). The check is a preHandler, so it runs
 * after the onRequest auth gates and body parsing: an unauthenticated request from a refused
 * address gets 401, an authenticated one 403, as in salt-api.
 *
 * The app page, static files and favicon (`app_path`, `static_path`, under `root_prefix`) are not
 * API routes and are not checked.
 */
import { isIPv4 } from 'node:net';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError } from '../transport/errors.js';
import { assetPathMatcher, pathOf } from '../transport/paths.js';
import { PLUGIN } from '../plugin-names.js';

export const BAD_IP = 'Bad IP';

/** `::ffff:127.0.0.1` → `127.0.0.1`; IPv6 in lower case; a zone index (`%eth0`) dropped. */
export function normalizeAddress(address: string): string {
  let value = address.trim().toLowerCase();
  const zone = value.indexOf('%');
  if (zone >= 0) value = value.slice(0, zone);
  if (value.startsWith('::ffff:')) {
    const v4 = value.slice('::ffff:'.length);
    if (isIPv4(v4)) return v4;
  }
  return value;
}

/** `authorized_ips` undefined: no check. An empty list refuses every client, as in salt-api. */
async function authorizedIps(app: FastifyInstance): Promise<void> {
  const { rest } = app.settings;
  if (rest.authorizedIps === undefined) return;
  const allowed = new Set(rest.authorizedIps.map(normalizeAddress));
  const isAsset = assetPathMatcher(rest);
  app.addHook('preHandler', async (request) => {
    if (isAsset(pathOf(request.raw.url ?? request.url))) return;
    const peer = request.socket.remoteAddress;
    if (peer === undefined || !allowed.has(normalizeAddress(peer))) {
      throw new HttpError(403, BAD_IP);
    }
  });
}

/**
 * After the client-certificate check: both are preHandler hooks, and a request refused by both is
 * told about its certificate.
 */
export const authorizedIpsPlugin = fp(authorizedIps, {
  name: PLUGIN.authorizedIps,
  dependencies: [PLUGIN.clientCertCheck],
  decorators: { fastify: ['settings'] },
});
