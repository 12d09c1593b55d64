/**
 * What the settings say that a start accepts but that is likely a mistake, or that makes salt-apid
 * run other than the file reads: errors where an option is silently without effect on security
 * (a webhook secret no rule checks), warnings where it is legal but risky or useless.
 */
import { isMapping } from '../config/master-file.js';
import type { Settings } from '../config/types.js';
import type { WebhookRule } from '../config/webhook-settings.js';
import { SESSION_CACHE_DRIVERS, workersRefusal } from '../config/workers.js';
import type { Locator, Problems } from './problems.js';

export interface SettingsContext {
  settings: Settings;
  /** The `rest_cherrypy:` mapping as written (for options the settings fold together). */
  restRaw: unknown;
  demo: boolean;
  /**
   * The `webhooks` rules, each read on its own (a refused one is an Error, reported already): the
   * rules that read are checked even when another is refused and the settings hold none.
   */
  webhookRules: ReadonlyArray<WebhookRule | Error>;
  locate: Locator;
  problems: Problems;
}

const LOOPBACK = /^(127\.|::1$|localhost$)/;

/** The rules of `webhooks`: a secret no rule checks, a rule open to anyone, a rule never reached. */
function checkWebhookRules({ settings, webhookRules, locate, problems }: SettingsContext): void {
  const rules = webhookRules.map((rule) => (rule instanceof Error ? undefined : rule));
  for (const [index, rule] of rules.entries()) {
    if (rule === undefined) continue;
    const head = `${locate.at(['rest_cherrypy', 'webhooks'])}: rule ${index + 1} (path ${JSON.stringify(rule.path)})`;
    if ((rule.auth === 'salt' || rule.auth === 'none') && rule.secret !== undefined) {
      problems.error(
        `${head}: a secret is set but auth ${rule.auth} never checks it, so deliveries are not verified with it; ` +
          'set auth to token, github, gitea or gitlab, or remove the secret',
      );
    }
    if (rule.auth === 'none' && rule.allowFrom === undefined) {
      problems.warning(`${head}: auth none without allow_from: anyone who reaches the port can fire events here`);
    }
    const earlier = rules.slice(0, index).findIndex((other) => other?.path === '*' || other?.path === rule.path);
    if (earlier !== -1) {
      problems.warning(`${head}: never used: rule ${earlier + 1} comes first and matches every path it matches`);
    }
  }
  if (settings.rest.webhookDisableAuth) {
    problems.warning(
      `${locate.at(['rest_cherrypy', 'webhook_disable_auth'])}: true: anyone who reaches the port can fire events ` +
        `under ${settings.rest.webhookUrl} (where no webhooks rule says otherwise)`,
    );
  }
}

/** Plain HTTP where it can be reached from elsewhere, and tracebacks in answers. */
function checkExposure({ settings, locate, problems }: SettingsContext): void {
  const { rest } = settings;
  if (rest.disableSsl && !LOOPBACK.test(rest.host)) {
    problems.warning(
      `${locate.at(['rest_cherrypy', 'disable_ssl'])}: true while listening on ${rest.host}: passwords and tokens ` +
        'cross the network unencrypted unless a TLS proxy on this host is the only way in',
    );
  }
  if (rest.debug) {
    problems.warning(
      `${locate.at(['rest_cherrypy', 'debug'])}: true: error answers carry tracebacks; not for a production server`,
    );
  }
}

/** Options that take each other's place, and a session store that cannot be shared. */
function checkOverlaps({ settings, restRaw, demo, locate, problems }: SettingsContext): void {
  if (isMapping(restRaw) && restRaw['socket_queue_size'] != null && restRaw['queue_size'] != null) {
    problems.warning(`${locate.at(['rest_cherrypy', 'queue_size'])}: ignored: socket_queue_size is set too, and wins`);
  }
  const refusal = workersRefusal(demo, settings);
  if (refusal !== undefined) problems.error(`${locate.file(['rest_cherrypy', 'workers'])}: rest_cherrypy.${refusal}`);
  const { cacheDriver } = settings.master;
  if (settings.rest.sessionStore === 'cache' && !SESSION_CACHE_DRIVERS.includes(cacheDriver)) {
    problems.warning(
      `${locate.at(['rest_cherrypy', 'session_store'])}: cache needs the localfs or redis cache driver (cache: ` +
        `${cacheDriver}); sessions would stay in this process`,
    );
  }
}

/** A master config that lets nobody in, or lets nobody run anything. */
function checkAccess({ settings, locate, problems }: SettingsContext): void {
  if (Object.keys(settings.master.externalAuth).length === 0) {
    problems.warning(`${locate.at(['external_auth'])}: not set: the master refuses every login (eauth)`);
  }
  if (settings.master.netapiEnableClients.length === 0) {
    problems.warning(
      `${locate.at(['netapi_enable_clients'])}: empty: every lowstate call is refused (since Salt 3006 no client is ` +
        'enabled by default; list the clients to allow, e.g. local, runner, wheel)',
    );
  }
}

export function checkSettings(context: SettingsContext): void {
  checkWebhookRules(context);
  checkExposure(context);
  checkOverlaps(context);
  checkAccess(context);
}
