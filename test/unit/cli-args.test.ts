import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliUsageError, DEMO_CONFIG_FILE, parseCliArgs, type CliArgs } from '../../src/config/cli-args.js';

function parseRun(argv: string[]): CliArgs {
  const result = parseCliArgs(argv);
  if ('help' in result || 'version' in result || 'man' in result) throw new Error('expected run arguments');
  return result;
}

function usageError(argv: string[]): string {
  try {
    parseCliArgs(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(CliUsageError);
    const { message } = error as Error;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected a CliUsageError');
}

describe('parseCliArgs', () => {
  it('defaults: no config given (salt-api lookup), no levels or log file (the config decides), no overrides', () => {
    expect(parseRun([])).toStrictEqual({
      configFile: undefined,
      configDir: undefined,
      demo: false,
      demoMinions: undefined,
      overrides: {},
      logLevel: undefined,
      logFile: undefined,
      logFileLevel: undefined,
      checkConfig: undefined,
    });
  });

  it('--log-file (made absolute, as salt-api takes a bare name in the current directory) and --log-file-level', () => {
    expect(parseRun(['--log-file', '/srv/log/api', '--log-file-level', 'debug'])).toMatchObject({
      logFile: '/srv/log/api',
      logFileLevel: 'debug',
    });
    expect(parseRun(['--log-file=api.log']).logFile).toBe(join(process.cwd(), 'api.log'));
    expect(parseRun(['--log-file-level=QUIET']).logFileLevel).toBe('silent');
  });

  it('reads -c / --config-dir and --config', () => {
    expect(parseRun(['-c', '/etc/salt']).configDir).toBe('/etc/salt');
    expect(parseRun(['--config-dir=/srv/salt']).configDir).toBe('/srv/salt');
    expect(parseRun(['--config', '/tmp/master']).configFile).toBe('/tmp/master');
  });

  it('--demo selects the bundled demo config, which exists', () => {
    const args = parseRun(['--demo']);
    expect(args.demo).toBe(true);
    expect(args.configFile).toBe(DEMO_CONFIG_FILE);
    expect(DEMO_CONFIG_FILE.endsWith('/config/demo.conf')).toBe(true);
    expect(existsSync(DEMO_CONFIG_FILE)).toBe(true);
  });

  it('--minions sizes the demo fleet, and only with --demo', () => {
    expect(parseRun(['--demo', '--minions', '10000']).demoMinions).toBe(10_000);
    expect(parseRun(['--demo']).demoMinions).toBeUndefined();
    expect(() => parseCliArgs(['--minions', '10'])).toThrow('--minions only goes with --demo');
    for (const bad of ['0', '100001', '1e3', 'ten', ''])
      expect(() => parseCliArgs(['--demo', '--minions', bad])).toThrow(
        '--minions must be an integer between 1 and 100000',
      );
    expect(() => parseCliArgs(['--demo', '--minions=-5'])).toThrow('--minions must be an integer');
  });

  it('--host and --port override the listen address', () => {
    expect(parseRun(['--demo', '--host', '0.0.0.0', '--port', '8001']).overrides).toStrictEqual({
      host: '0.0.0.0',
      port: 8001,
    });
  });

  it.each([
    ['info', 'info'],
    ['debug', 'debug'],
    ['warning', 'warn'],
    ['WARN', 'warn'],
    ['critical', 'fatal'],
    ['quiet', 'silent'],
    ['all', 'trace'],
    ['garbage', 'trace'],
    ['profile', 'debug'],
  ])('-l %s → %s', (level, expected) => {
    expect(parseRun(['-l', level]).logLevel).toBe(expected);
    expect(parseRun([`--log-level=${level}`]).logLevel).toBe(expected);
  });

  it('-h / --help, --version and --man', () => {
    const help = parseCliArgs(['-h']);
    expect('help' in help && help.help).toMatch(/^NAME\n {7}salt-apid - /);
    const man = parseCliArgs(['--man']);
    expect('man' in man && man.man).toMatch(/^\.TH SALT-APID 1 "\d{4}-\d{2}-\d{2}" "salt-apid \d+\.\d+\.\d+/m);
    expect(parseCliArgs(['--help'])).toHaveProperty('help');
    const version = parseCliArgs(['--version']);
    expect('version' in version && version.version).toMatch(/^salt-apid \d+\.\d+\.\d+/);
  });

  it.each([
    [['--port', 'abc'], '--port must be an integer between 1 and 65535, got "abc"'],
    [['--port', '0'], '--port must be an integer between 1 and 65535, got "0"'],
    [['--port', '65536'], '--port must be an integer between 1 and 65535, got "65536"'],
    [['--port', '80.5'], '--port must be an integer between 1 and 65535, got "80.5"'],
    [['--host', ''], '--host must not be empty'],
    [['-l', 'loud'], '--log-level: unknown level "loud"'],
    [['-l', 'constructor'], '--log-level: unknown level "constructor"'],
    [['-l', '__proto__'], '--log-level: unknown level "__proto__"'],
    [['--log-file-level', 'loud'], '--log-file-level: unknown level "loud"'],
    [['--log-file='], '--log-file must not be empty'],
    [['--demo', '-c', '/etc/salt'], '--demo and -c cannot be used together'],
    [['--config', 'a', '-c', 'b'], '--config and -c cannot be used together'],
    [['--frobnicate'], "Unknown option '--frobnicate'"],
    [['extra'], "Unexpected argument 'extra'"],
    [['--port'], "Option '--port <value>' argument missing"],
  ])('rejects %j with a one-line usage error', (argv, message) => {
    expect(usageError(argv)).toBe(message);
  });
});
