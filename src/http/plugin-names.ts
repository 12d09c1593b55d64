/**
 * The names of the application's Fastify plugins. Each plugin lists the plugins it must come after
 * in its `dependencies`, by these names, and Fastify refuses to start (at `ready()`) when one is
 * registered before them: the order of the hooks is checked, not only written down.
 */
export const PLUGIN = {
  /** The decorations every other plugin reads: settings, master, sessions, streams… */
  context: 'salt-apid-context',
  /** The error handler and the 404 page. */
  errorHandling: 'salt-apid-error-handling',
  /** The counters behind `/stats`. */
  stats: 'salt-apid-stats',
  accessLog: 'salt-apid-access-log',
  /** `Server` and `Vary` on every answer. */
  serverHeaders: 'salt-apid-server-headers',
  cors: 'salt-apid-cors',
  bodyParsers: 'salt-apid-body-parsers',
  /** `ssl_allowed_cn`. */
  clientCertCheck: 'salt-apid-client-cert-check',
  /** `authorized_ips`. */
  authorizedIps: 'salt-apid-authorized-ips',
  /** `/api` → 301 `/api/` under a `root_prefix`. */
  rootPrefixRedirect: 'salt-apid-root-prefix-redirect',
  htmlOverride: 'salt-apid-html-override',
  /** Every route, mounted under `root_prefix`. */
  api: 'salt-apid-api',
} as const;

/**
 * What a plugin whose hooks may answer a request must come after: the hooks that count and log
 * every request and mark every answer with `Server`. A hook that answers early ends the request's
 * `onRequest` chain, so these must be in it before any such hook.
 */
export const SEES_EVERY_ANSWER: readonly string[] = [PLUGIN.stats, PLUGIN.accessLog, PLUGIN.serverHeaders];
