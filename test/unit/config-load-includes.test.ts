import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, removeConfigTrees, writeConfigTree } from '../support/config-tree.js';

afterEach(removeConfigTrees);

describe('loadSettings includes (Salt master_config semantics)', () => {
  it('reads default_include master.d/*.conf in name order, merging the files deeply', () => {
    const dir = writeConfigTree({
      master: 'rest_cherrypy: {port: 8000, debug: true}\nnetapi_enable_clients: [local]\n',
      'master.d/b.conf': 'rest_cherrypy: {host: 127.0.0.1}\nnetapi_enable_clients: [runner, local]\n',
      'master.d/a.conf': 'rest_cherrypy: {port: 9000, host: 10.0.0.1}\nnetapi_enable_clients: [wheel]\n',
      'master.d/.hidden.conf': 'rest_cherrypy: {port: 1}\n',
      'master.d/c.conf.example': 'rest_cherrypy: {port: 2}\n',
    });
    const { master, rest } = loadConfig(dir).settings;
    expect(rest.port).toBe(9000);
    expect(rest.host).toBe('127.0.0.1');
    // The master.d result replaces the main file's top-level keys wholesale: debug is gone.
    expect(rest.debug).toBe(false);
    // Lists merge between included files, without duplicates.
    expect(master.netapiEnableClients).toEqual(['wheel', 'runner', 'local']);
  });

  it('keeps names that are Object.prototype members as plain keys through the merge', () => {
    const dir = writeConfigTree({
      master: 'rest_cherrypy: {port: 8000}\n',
      'master.d/a.conf': 'external_auth: {pam: {saltdev: [a], toString: [t]}}\nnodegroups: {constructor: web*}\n',
      'master.d/b.conf':
        "external_auth: {pam: {__proto__: [p], constructor: [c]}, __proto__: {x: [y]}}\nnodegroups: [{__proto__: 'db*'}]\n",
    });
    const { master } = loadConfig(dir).settings;
    expect(Object.keys(master.externalAuth)).toEqual(['pam', '__proto__']);
    expect(Object.keys(master.externalAuth['pam'] ?? {})).toEqual(['saltdev', 'toString', '__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(master.externalAuth['pam'], '__proto__')?.value).toEqual(['p']);
    expect(Object.keys(master.nodegroups)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });

  it('is fine without a master.d directory, and honours a default_include override', () => {
    expect(loadConfig(writeConfigTree({ master: 'rest_cherrypy: {port: 8000}\n' })).warnings).toEqual([]);
    const dir = writeConfigTree({
      master: 'default_include: conf.d/*.yml\nrest_cherrypy: {port: 8000}\n',
      'conf.d/x.yml': 'timeout: 9\n',
      'master.d/y.conf': 'timeout: 1\n',
    });
    expect(loadConfig(dir).settings.master.timeout).toBe(9);
  });

  it('reads include (list, globs, relative or absolute) after default_include', () => {
    const dir = writeConfigTree({
      'master.d/a.conf': 'timeout: 2\ngather_job_timeout: 3\n',
      'extra/one.conf': 'timeout: 4\n',
      'abs.conf': 'rest_timeout: 77\n',
    });
    const absolute = join(dir, 'abs.conf');
    writeFileSync(
      join(dir, 'master'),
      `include: [extra/*.conf, ${absolute}]\nrest_cherrypy: {port: 8000}\ntimeout: 1\n`,
    );
    const { master } = loadConfig(dir).settings;
    expect(master.timeout).toBe(4);
    expect(master.gatherJobTimeout).toBe(3);
    expect(master.restTimeout).toBe(77);
  });

  it('expands globs like Python: ?, [ab], [!x], across directories, hidden files skipped', () => {
    const dir = writeConfigTree({
      master: "include: ['g/?.conf', 'g/[ab]b.conf', 'g/[!x]c.conf', '*/deep.conf']\nrest_cherrypy: {port: 8000}\n",
      'g/1.conf': 'netapi_enable_clients: [one]\n',
      'g/12.conf': 'netapi_enable_clients: [twelve]\n',
      'g/bb.conf': 'netapi_enable_clients: [bb]\n',
      'g/xc.conf': 'netapi_enable_clients: [xc]\n',
      'g/yc.conf': 'netapi_enable_clients: [yc]\n',
      'h/deep.conf': 'netapi_enable_clients: [deep]\n',
      '.hidden/deep.conf': 'netapi_enable_clients: [hidden]\n',
    });
    expect(loadConfig(dir).settings.master.netapiEnableClients).toEqual(['one', 'bb', 'yc', 'deep']);
  });

  it('follows includes nested in included files, relative to that file', () => {
    const dir = writeConfigTree({
      master: 'include: sub/first.conf\nrest_cherrypy: {port: 8000}\n',
      'sub/first.conf': 'include: second.conf\ntimeout: 1\n',
      'sub/second.conf': 'gather_job_timeout: 2\n',
    });
    expect(loadConfig(dir).settings.master).toMatchObject({ timeout: 1, gatherJobTimeout: 2 });
  });

  it('warns, as Salt logs, when an explicit include matches nothing or an included file is broken', () => {
    const dir = writeConfigTree({
      master: 'include: [missing.conf, broken.conf]\nrest_cherrypy: {port: 8000}\n',
      'broken.conf': 'timeout: [1\n',
    });
    const { settings, warnings } = loadConfig(dir);
    expect(settings.master.timeout).toBe(5);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain(`'${join(dir, 'missing.conf')}' matches no files`);
    expect(warnings[1]).toContain(`${join(dir, 'broken.conf')}: invalid YAML`);
  });
});

describe('loadSettings root_dir (prepend_root_dir)', () => {
  it('puts sock_dir, api_pidfile and api_logfile under root_dir', () => {
    const dir = writeConfigTree({ master: 'root_dir: /srv/salt-root\nrest_cherrypy: {port: 8000}\n' });
    expect(loadConfig(dir).settings.master).toMatchObject({
      rootDir: '/srv/salt-root',
      sockDir: '/srv/salt-root/var/run/salt/master',
      apiPidfile: '/srv/salt-root/var/run/salt-api.pid',
      apiLogfile: '/srv/salt-root/var/log/salt/api',
    });
  });

  it('does not prefix a path already under root_dir, and prefixes relative ones', () => {
    const dir = writeConfigTree({
      master:
        'root_dir: /srv/r\nsock_dir: /srv/r/run/m\napi_pidfile: run/api.pid\napi_logfile: /log/api\nrest_cherrypy: {port: 8000}\n',
    });
    expect(loadConfig(dir).settings.master).toMatchObject({
      sockDir: '/srv/r/run/m',
      apiPidfile: '/srv/r/run/api.pid',
      apiLogfile: '/srv/r/log/api',
    });
  });

  it('moves an over-long sock_dir under cachedir/.salt-unix like apply_master_config', () => {
    const dir = writeConfigTree({
      master: 'root_dir: /r\ncachedir: /c\nsock_dir: /a/very/long/socket/directory\nrest_cherrypy: {port: 8000}\n',
    });
    expect(loadConfig(dir).settings.master.sockDir).toBe('/r/c/.salt-unix');
  });
});

describe('loadSettings overrides', () => {
  it('lets --host/--port win over the file', () => {
    const dir = writeConfigTree({ master: 'rest_cherrypy: {port: 8000, host: 10.0.0.1}\n' });
    expect(loadConfig(dir, { overrides: { host: '127.0.0.1', port: 9001 } }).settings.rest).toMatchObject({
      host: '127.0.0.1',
      port: 9001,
    });
  });

  it('accepts a missing rest_cherrypy section when --port is given', () => {
    const dir = writeConfigTree({ master: 'timeout: 3\n' });
    expect(loadConfig(dir, { overrides: { port: 9001 } }).settings.rest.port).toBe(9001);
  });
});
