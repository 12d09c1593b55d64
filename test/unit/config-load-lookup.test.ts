import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_CONFIG_FILE } from '../../src/config/cli-args.js';
import { loadSettings, resolveConfigFile } from '../../src/config/load.js';
import { dict, removeConfigTrees, writeConfigTree } from '../support/config-tree.js';

afterEach(removeConfigTrees);

describe('config file lookup', () => {
  it('reads <configDir>/master', () => {
    const dir = writeConfigTree({ master: 'rest_cherrypy: {port: 8123}\n' });
    expect(loadSettings({ configDir: dir }).rest.port).toBe(8123);
  });

  it('defaults to SALT_MASTER_CONFIG, then SALT_CONFIG_DIR, then /etc/salt', () => {
    const dir = writeConfigTree({ 'custom.conf': 'rest_cherrypy: {port: 8000}\n' });
    expect(resolveConfigFile({ env: { SALT_MASTER_CONFIG: join(dir, 'custom.conf') } })).toBe(join(dir, 'custom.conf'));
    expect(resolveConfigFile({ env: { SALT_MASTER_CONFIG: join(dir, 'nope') } })).toBe('/etc/salt/master');
    expect(resolveConfigFile({ env: { SALT_CONFIG_DIR: '/opt/salt' } })).toBe('/opt/salt/master');
    expect(resolveConfigFile({ env: {} })).toBe('/etc/salt/master');
    expect(resolveConfigFile({ configDir: '/x', configFile: '/y/master.conf', env: {} })).toBe('/y/master.conf');
  });
});

describe('config/demo.conf', () => {
  it('is a working master config with all eight clients and the demo users', () => {
    const { master, rest } = loadSettings({ configFile: DEMO_CONFIG_FILE });
    expect(rest).toMatchObject({ port: 8000, host: '127.0.0.1', disableSsl: true });
    expect(master.netapiEnableClients).toEqual([
      'local',
      'local_async',
      'local_batch',
      'local_subset',
      'runner',
      'runner_async',
      'wheel',
      'wheel_async',
    ]);
    expect(master.externalAuth).toStrictEqual(
      dict({
        pam: dict({ saltdev: ['.*', '@wheel', '@runner', '@jobs'] }),
        auto: dict({ autouser: ['.*', '@wheel', '@runner', '@jobs'], nobody: [] }),
      }),
    );
  });
});
