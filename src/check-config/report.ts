/**
 * What `--check-config` prints. YAML (the default): the effective settings on standard output,
 * headed by comments naming the file; each problem on its own line on standard error, then a
 * summary. JSON (`--out json`): one document on standard output with the settings and the problems.
 * Every line goes through the Redactor: no secret of the configuration is printed.
 */
import type { CheckFormat } from '../config/cli-args.js';
import { dumpYaml } from '../python/yaml-dump.js';
import type { Redactor } from './mask.js';
import type { Problems } from './problems.js';

export interface CheckReport {
  configFile: string;
  demo: boolean;
  /** The effective settings, masked; undefined when the config could not be read. */
  settings: Record<string, unknown> | undefined;
  refused: string[];
  problems: Problems;
}

export interface ReportStreams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

function yamlHeader(report: CheckReport): string[] {
  return [
    `# salt-apid --check-config: ${report.configFile} with the files it includes`,
    '# The settings a start would use: defaults included, paths under root_dir, secrets as ********.',
    ...(report.demo
      ? ["# With --demo, the demo master's own interface, ret_port, sock_dir and ipc_mode replace these."]
      : []),
    ...(report.refused.length > 0
      ? [`# Refused (see the errors), shown at their defaults instead: ${report.refused.join(', ')}`]
      : []),
  ];
}

function summary(report: CheckReport): string {
  const errors = report.problems.messages('error').length;
  const warnings = report.problems.messages('warning').length;
  if (errors === 0) {
    return `${report.configFile}: configuration OK${warnings === 0 ? '' : ` (${plural(warnings, 'warning')})`}`;
  }
  return `${report.configFile}: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}: a start would refuse it or not do what it says`;
}

export function writeReport(report: CheckReport, format: CheckFormat, redactor: Redactor, io: ReportStreams): void {
  const { problems } = report;
  if (format === 'json') {
    const document = {
      config_file: report.configFile,
      ok: !problems.hasErrors,
      errors: problems.messages('error'),
      warnings: problems.messages('warning'),
      refused: report.refused,
      settings: report.settings ?? null,
    };
    // YAML reads integers past 2**53 as bigints, which JSON.stringify refuses: their digits, as text.
    const json = JSON.stringify(
      document,
      (_, value: unknown) => (typeof value === 'bigint' ? String(value) : value),
      2,
    );
    io.stdout.write(redactor.apply(`${json}\n`));
    return;
  }
  if (report.settings !== undefined) {
    // No folding: a long value stays on one line, where the Redactor can still find a secret in it.
    const yaml = dumpYaml(report.settings, -1);
    io.stdout.write(redactor.apply(`${yamlHeader(report).join('\n')}\n${yaml}`));
  }
  const lines = problems.sorted.map(({ severity, message }) => `salt-apid: ${severity}: ${message}`);
  lines.push(`salt-apid: ${summary(report)}`);
  io.stderr.write(redactor.apply(`${lines.join('\n')}\n`));
}
