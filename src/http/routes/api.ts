/**
 * Every route of the application, in one encapsulated plugin mounted at `root_prefix`. It comes
 * after every plugin that adds hooks to the whole application: the routes' own hooks (sessions,
 * auth gates) run after those, and the routes take the error handler and body parsers of the
 * instance they are registered in.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { PLUGIN, SEES_EVERY_ANSWER } from '../plugin-names.js';
import { eventsRoutes } from './events.js';
import { eventHubRoutes } from './event-hub.js';
import { hookRoutes } from './hook.js';
import { jobsRoutes } from './jobs.js';
import { keysRoutes } from './keys.js';
import { loginRoutes } from './login.js';
import { logoutRoutes } from './logout.js';
import { minionsRoutes } from './minions.js';
import { rootRoutes } from './root.js';
import { runRoutes } from './run.js';
import { staticRoutes } from './static.js';
import { statsRoutes } from './stats.js';
import { healthRoutes } from './health.js';
import { metricsRoutes } from './metrics.js';
import { openApiRoutes } from './openapi.js';
import { tokenRoutes } from './token.js';
import { wsRoutes } from './ws.js';

async function apiRoutes(api: FastifyInstance): Promise<void> {
  await api.register(rootRoutes);
  await api.register(runRoutes);
  await api.register(tokenRoutes);
  await api.register(keysRoutes);
  await api.register(eventsRoutes);
  await api.register(hookRoutes);
  await api.register(eventHubRoutes);
  await api.register(wsRoutes);
  await api.register(statsRoutes);
  await api.register(healthRoutes);
  await api.register(metricsRoutes);
  await api.register(openApiRoutes);
  // Without sessions salt-api does not mount these at all (docs/routes.md "Mounting").
  if (api.settings.rest.enableSessions) {
    await api.register(loginRoutes);
    await api.register(logoutRoutes);
    await api.register(minionsRoutes);
    await api.register(jobsRoutes);
  }
  // Outside every session scope: no cookie on the app, static files and favicon.
  await api.register(staticRoutes);
}

/** Register with `{ prefix }`: the mount point of `root_prefix`. */
export const apiRoutesPlugin = fp(apiRoutes, {
  name: PLUGIN.api,
  encapsulate: true,
  dependencies: [
    PLUGIN.context,
    PLUGIN.errorHandling,
    ...SEES_EVERY_ANSWER,
    PLUGIN.cors,
    PLUGIN.bodyParsers,
    PLUGIN.clientCertCheck,
    PLUGIN.authorizedIps,
    PLUGIN.rootPrefixRedirect,
    PLUGIN.htmlOverride,
  ],
  decorators: {
    fastify: ['settings', 'master', 'netapi', 'sessions', 'events', 'streams', 'credentialGuard', 'authGate'],
    reply: ['sendSalt'],
  },
});
