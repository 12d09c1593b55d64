/**
 * `salt-apid --check-config`: reads the master config as a start does (src/main.ts), runs the
 * start's own checks and those of the options a start only meets later, prints the effective
 * settings and every problem, and says whether a start would accept it. It connects to nothing,
 * listens on nothing and writes no file. docs/decisions/0031-check-config.md.
 */
import type { CheckFormat, CliArgs } from '../config/cli-args.js';
import type { Settings } from '../config/types.js';
import { readEachWebhookRule, type WebhookRule } from '../config/webhook-settings.js';
import { PROCESS_IDENTITY, type IdentityOps } from '../run-as-user.js';
import { effectiveSettings } from './effective-settings.js';
import { checkEnvironment } from './environment.js';
import { Redactor, secretsIn } from './mask.js';
import { Locator, Problems } from './problems.js';
import { writeReport, type ReportStreams } from './report.js';
import { readConfig, resolveSettings, restReaderOf } from './resolve.js';
import { checkSettings } from './settings-checks.js';
import { checkTls } from './tls-checks.js';
import { checkUnknownKeys } from './unknown-keys.js';

export interface CheckIo extends ReportStreams {
  /** Who the check runs as, for `user:` and the log files; this process's when absent. */
  identity?: IdentityOps | undefined;
}

/** The checks that need the resolved settings. */
async function checkResolved(
  settings: Settings,
  context: {
    args: CliArgs;
    restRaw: unknown;
    webhookRules: ReadonlyArray<WebhookRule | Error>;
    locate: Locator;
    identity: IdentityOps;
    problems: Problems;
  },
): Promise<void> {
  const { args, restRaw, webhookRules, locate, identity, problems } = context;
  checkSettings({ settings, restRaw, demo: args.demo, webhookRules, locate, problems });
  await checkTls(settings.rest, locate, problems);
  checkEnvironment({ settings, args, locate, identity, problems });
}

/** Runs the check and prints its report; true when a start would accept the configuration. */
export async function checkConfig(args: CliArgs, format: CheckFormat, io: CheckIo): Promise<boolean> {
  const problems = new Problems();
  const { configFile, config } = readConfig(args, problems);
  const secrets: string[] = [];
  let settings: Settings | undefined;
  let refused: string[] = [];
  if (config !== undefined) {
    // Read before resolveSettings drops the refused options from `config`.
    secrets.push(...secretsIn(config.data));
    const restRaw = config.data['rest_cherrypy'];
    const rest = restReaderOf(config, configFile);
    const webhookRules = rest === undefined ? [] : readEachWebhookRule(rest);
    checkUnknownKeys(config, configFile, problems);
    ({ settings, refused } = resolveSettings(config, configFile, args, problems));
    if (settings !== undefined) {
      secrets.push(...secretsIn(settings), ...secretsIn(webhookRules));
      const locate = new Locator((path) => config.fileOf(path), configFile);
      const identity = io.identity ?? PROCESS_IDENTITY;
      await checkResolved(settings, { args, restRaw, webhookRules, locate, identity, problems });
    }
  }
  const report = {
    configFile,
    demo: args.demo,
    settings: settings && effectiveSettings(settings, args),
    refused,
    problems,
  };
  writeReport(report, format, new Redactor(secrets), io);
  return !problems.hasErrors;
}
