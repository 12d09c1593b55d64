/**
 * The Fastify application: the plugins that make it, registered in the order their dependencies
 * ask for (plugin-names.ts; docs/routes.md "Request pipeline order").
 */
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyPluginOptions,
} from 'fastify';
import type { Logger } from 'pino';
import type { Settings } from '../config/types.js';
import { VERSION } from '../version.js';
import type { LowstateRunner } from '../salt/clients/netapi.js';
import type { CacheHealth } from '../salt/cache/salt-cache.js';
import { REDACTED_PATHS, type LineSink } from '../log.js';
import { AuditTrail } from './audit/audit-trail.js';
import type { AccessLogSink } from './stats/access-log.js';
import { accessLogPlugin } from './stats/access-log-plugin.js';
import { RequestLogController } from './stats/request-log.js';
import { authorizedIpsPlugin } from './auth/authorized-ips.js';
import { bodyParsersPlugin } from './transport/body.js';
import { appContextPlugin, type EventGateway, type MasterGateway } from './context.js';
import { corsPlugin } from './transport/cors.js';
import { errorHandlingPlugin } from './transport/errors.js';
import { htmlOverridePlugin } from './transport/html-override.js';
import { mountPath } from './transport/paths.js';
import { REDACTED, redactUrl } from './stats/redact-url.js';
import { rootPrefixRedirectPlugin } from './transport/root-prefix.js';
import { lazySchemaCompilers } from './transport/schema-compilers.js';
import { apiRoutesPlugin } from './routes/api.js';
import { appPageServer } from './routes/static.js';
import { serverHeadersPlugin } from './transport/server-headers.js';
import type { SessionStore } from './auth/sessions.js';
import type { MasterStatsProvider } from './stats/stats.js';
import { statsPlugin } from './stats/stats-plugin.js';
import { clientCertCheckPlugin } from './transport/tls.js';

export { redactUrl } from './stats/redact-url.js';
export type { EventGateway, MasterGateway } from './context.js';

export interface AppDeps {
  settings: Settings;
  logger: Logger;
  /** The master connection; without one every command answers "Salt Master is not available.". */
  master?: MasterGateway;
  netapi?: LowstateRunner;
  sessions?: SessionStore;
  events?: EventGateway;
  /** The master connection's figures for /stats (`SaltMaster.stats()`). */
  masterStats?: MasterStatsProvider;
  /** `session_store: cache` on a cache server (Redis): whether it answers, for /readyz and /metrics. */
  cacheHealth?: CacheHealth;
  /** TLS server options (src/http/transport/tls.ts `tlsOptions`); absent → plain HTTP. */
  https?: HttpsServerOptions;
  /** `log_access_file`; access lines also go to the JSON log at info. */
  accessLog?: AccessLogSink;
  /** `log_audit_file` (a LogFile); without it there is no audit log. */
  auditLog?: LineSink;
}

interface LoggedRequest {
  method?: string;
  url?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

function httpLogger(logger: Logger, rootPrefix: string): FastifyBaseLogger {
  return logger.child(
    {},
    {
      serializers: {
        req: (request: LoggedRequest) => ({
          method: request.method,
          url: request.url === undefined ? undefined : redactUrl(request.url, rootPrefix),
          remoteAddress: request.ip,
          remotePort: request.socket?.remotePort,
        }),
      },
      redact: {
        // A child's redact replaces its parent's: keep every process-wide path as well.
        paths: [...REDACTED_PATHS, 'headers["x-auth-token"]', 'headers.cookie'],
        censor: REDACTED,
      },
    },
  );
}

/** The audit log over `sink`; with `workers: N` each record names its process. */
function auditTrail(sink: LineSink, { rest }: Settings): AuditTrail {
  return new AuditTrail(sink, {
    trustedProxies: rest.trustedProxies,
    pid: rest.workers > 1 ? process.pid : undefined,
  });
}

/** One of the application's plugins, with the options buildApp gives it. */
export interface AppPlugin {
  /** The plugin as registered: its fastify-plugin metadata holds its name and dependencies. */
  readonly plugin: object;
  readonly register: (app: FastifyInstance) => PromiseLike<unknown>;
}

function use<Options extends FastifyPluginOptions>(plugin: FastifyPluginAsync<Options>, options: Options): AppPlugin {
  return { plugin, register: (app) => app.register(plugin, options) };
}

/**
 * The application's plugins in the order buildApp registers them. Fastify checks each plugin's
 * dependencies when it loads: registered before one of them, it fails `ready()`.
 */
export function appPlugins(deps: AppDeps): AppPlugin[] {
  const { rest } = deps.settings;
  const { settings, master, netapi, sessions, events, cacheHealth } = deps;
  const serverVersion = `salt-apid/${VERSION}`;
  const prefix = mountPath(rest.rootPrefix);
  const audit = deps.auditLog && auditTrail(deps.auditLog, deps.settings);
  return [
    use(appContextPlugin, { settings, master, netapi, sessions, events, cacheHealth, audit }),
    use(errorHandlingPlugin, { debug: rest.debug, version: VERSION, mountPrefix: prefix }),
    use(statsPlugin, { serverVersion, masterStats: deps.masterStats }),
    use(accessLogPlugin, { rootPrefix: rest.rootPrefix, file: deps.accessLog }),
    use(serverHeadersPlugin, { server: serverVersion }),
    use(corsPlugin, { corsOrigin: rest.corsOrigin }),
    use(bodyParsersPlugin, { limitBytes: rest.maxRequestBodySize }),
    use(clientCertCheckPlugin, {}),
    use(authorizedIpsPlugin, {}),
    use(rootPrefixRedirectPlugin, { prefix }),
    use(htmlOverridePlugin, {
      prefix,
      exempt: [
        mountPath(rest.appPath) || '/',
        mountPath(rest.staticPath) || '/',
        ...(rest.favicon === undefined ? [] : ['/favicon.ico']),
      ],
      serve: rest.app === undefined ? undefined : appPageServer(rest.app),
    }),
    use(apiRoutesPlugin, { prefix }),
  ];
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { rest } = deps.settings;
  const app = Fastify({
    loggerInstance: httpLogger(deps.logger, rest.rootPrefix),
    logController: new RequestLogController(),
    routerOptions: { ignoreTrailingSlash: true },
    bodyLimit: rest.maxRequestBodySize,
    schemaController: { compilersFactory: lazySchemaCompilers() },
    ...(deps.https && { https: deps.https }),
  });
  for (const { register } of appPlugins(deps)) await register(app);
  return app;
}
