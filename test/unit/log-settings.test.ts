import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configLogLevel, logLevelOf } from '../../src/config/log-level.js';
import type { CliArgs } from '../../src/config/cli-args.js';
import type { MasterSettings } from '../../src/config/types.js';
import { apiLogTarget, consoleLevel } from '../../src/log-outputs.js';
import { loadConfig, removeConfigTrees, writeConfigTree } from '../support/config-tree.js';

afterEach(removeConfigTrees);

function masterOf(text: string): { master: MasterSettings; warnings: string[]; dir: string } {
  const dir = writeConfigTree({ master: `${text}\nrest_cherrypy: {port: 8000}\n` });
  const { settings, warnings } = loadConfig(dir);
  return { master: settings.master, warnings, dir };
}

const NO_ARGS: Pick<CliArgs, 'demo' | 'logFile' | 'logFileLevel' | 'logLevel'> = {
  demo: false,
  logFile: undefined,
  logFileLevel: undefined,
  logLevel: undefined,
};

describe('log levels: Salt names and numbers', () => {
  it.each([
    ['warning', 'warn'],
    ['CRITICAL', 'fatal'],
    ['quiet', 'silent'],
    ['garbage', 'trace'],
    ['profile', 'debug'],
    ['toString', undefined],
    ['loud', undefined],
  ])('%s → %s', (name, level) => {
    expect(logLevelOf(name)).toBe(level);
  });

  it.each([
    [0, 'trace'],
    [5, 'trace'],
    [10, 'debug'],
    [20, 'info'],
    [25, 'warn'],
    [30, 'warn'],
    [40, 'error'],
    [50, 'fatal'],
    [51, 'silent'],
    [1000, 'silent'],
  ])("Python's level %d lets through what pino's %s does", (number, level) => {
    expect(configLogLevel(number)).toBe(level);
  });
});

describe('log_level, log_level_logfile and api_logfile in the master config', () => {
  it("defaults: nothing set; the file at Salt's warning, Salt's path, not set by the config", () => {
    const { master } = masterOf('');
    expect(master).toMatchObject({
      logLevel: undefined,
      logLevelLogfile: 'warn',
      apiLogfile: '/var/log/salt/api',
      apiLogfileSet: false,
    });
  });

  it('log_level_logfile falls back on log_level, as Salt does', () => {
    expect(masterOf('log_level: debug').master).toMatchObject({ logLevel: 'debug', logLevelLogfile: 'debug' });
    expect(masterOf('log_level: error\nlog_level_logfile: info').master).toMatchObject({
      logLevel: 'error',
      logLevelLogfile: 'info',
    });
    expect(masterOf('log_level: 20\nlog_level_logfile: ""').master).toMatchObject({
      logLevel: 'info',
      logLevelLogfile: 'info',
    });
  });

  it('an unknown level is logged at error with a warning naming the file and key, as Salt does', () => {
    const { master, warnings, dir } = masterOf('log_level_logfile: loud');
    expect(master.logLevelLogfile).toBe('error');
    expect(warnings).toEqual([`${join(dir, 'master')}: log_level_logfile: unknown log level "loud", logging at error`]);
  });

  it('api_logfile set in the config: under root_dir, and known to be set', () => {
    expect(masterOf('root_dir: /srv/r\napi_logfile: /log/api').master).toMatchObject({
      apiLogfile: '/srv/r/log/api',
      apiLogfileSet: true,
    });
  });

  it('names the file that set user:, an included one too', () => {
    const dir = writeConfigTree({
      master: 'rest_cherrypy: {port: 8000}\n',
      'master.d/user.conf': 'user: salt\n',
    });
    expect(loadConfig(dir).settings.master).toMatchObject({ user: 'salt', userFile: join(dir, 'master.d/user.conf') });
  });
});

describe('where a process logs', () => {
  const master = masterOf('').master;

  it('standard output: -l, else log_level, else info', () => {
    expect(consoleLevel(NO_ARGS, master)).toBe('info');
    expect(consoleLevel(NO_ARGS, { ...master, logLevel: 'error' })).toBe('error');
    expect(consoleLevel({ logLevel: 'debug' }, { ...master, logLevel: 'error' })).toBe('debug');
  });

  it('the log file: api_logfile at log_level_logfile; --log-file and --log-file-level win', () => {
    expect(apiLogTarget(NO_ARGS, master)).toEqual({ path: '/var/log/salt/api', level: 'warn' });
    expect(apiLogTarget({ ...NO_ARGS, logFile: '/tmp/a.log', logFileLevel: 'debug' }, master)).toEqual({
      path: '/tmp/a.log',
      level: 'debug',
    });
    expect(apiLogTarget(NO_ARGS, { ...master, logLevelLogfile: 'silent' })).toBeUndefined();
    expect(apiLogTarget({ ...NO_ARGS, logFileLevel: 'silent' }, master)).toBeUndefined();
  });

  it('--demo: no log file of Salt default, only one named on the command line or in the config', () => {
    const demo = { ...NO_ARGS, demo: true };
    expect(apiLogTarget(demo, master)).toBeUndefined();
    expect(apiLogTarget({ ...demo, logFile: '/tmp/demo.log' }, master)).toEqual({
      path: '/tmp/demo.log',
      level: 'warn',
    });
    expect(apiLogTarget(demo, { ...master, apiLogfile: '/srv/api.log', apiLogfileSet: true })).toEqual({
      path: '/srv/api.log',
      level: 'warn',
    });
  });
});
