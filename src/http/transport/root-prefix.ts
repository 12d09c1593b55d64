/**
 * `root_prefix` (docs/routes.md "Mounting"): the whole API, the app and the static files are
 * mounted under it (the routes plugin's prefix), and the prefix itself without its trailing slash
 * (`/api`) answers 301 to `/api/`, as CherryPy does.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { HTML_CONTENT_TYPE, lengthRequiredError } from './errors.js';
import { pathOf } from './paths.js';
import { PLUGIN, SEES_EVERY_ANSWER } from '../plugin-names.js';
import { lacksRequiredLength } from './request-length.js';

export interface RootPrefixOptions {
  /** The mount point without a trailing `/` (mountPath of `root_prefix`); `''`: mounted at `/`. */
  prefix: string;
}

/** CherryPy's 301 body: a pointer to the new location. */
function movedPage(location: string): Buffer {
  const href = location.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return Buffer.from(`This resource can be found at <a href="${href}">${href}</a>.`, 'utf8');
}

async function rootPrefixRedirect(app: FastifyInstance, { prefix }: RootPrefixOptions): Promise<void> {
  if (prefix === '') return;
  app.addHook('onRequest', async (request, reply) => {
    const path = pathOf(request.url);
    if (path !== prefix) return;
    // The prefix is the `/` resource, whose body CherryPy reads before its trailing-slash redirect.
    if (lacksRequiredLength(request, 'put-patch')) throw lengthRequiredError();
    const location = `${prefix}/${request.url.slice(path.length)}`;
    return reply.code(301).header('Location', location).type(HTML_CONTENT_TYPE).send(movedPage(location));
  });
}

/** After CORS, as the other early answers. */
export const rootPrefixRedirectPlugin = fp(rootPrefixRedirect, {
  name: PLUGIN.rootPrefixRedirect,
  dependencies: [...SEES_EVERY_ANSWER, PLUGIN.cors],
});
