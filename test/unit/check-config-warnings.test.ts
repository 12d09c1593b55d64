import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { editDistance, nearestName } from '../../src/check-config/nearest.js';
import { unknownRestKeys } from '../../src/config/unknown-rest-keys.js';
import { checkConfigDir as configDir, runCheck } from '../support/check-config.js';
import { removeConfigTrees } from '../support/config-tree.js';

afterEach(removeConfigTrees);

describe('--check-config: unknown keys under rest_cherrypy', () => {
  it('names each, where it is, with the nearest known key when one is close', async () => {
    const dir = configDir({
      rest: () => [
        'prot: 8001',
        'disable_ssl_please: true',
        'events_replay: {max_event: 5}',
        'event_hub: {tokn: abc, token: hub-token-1}',
        'webhooks:',
        "  - {path: 'ci/*', auth: token, secret: ci-secret-1, allowed_from: [10.0.0.1]}",
      ],
    });
    const file = join(dir, 'master');
    const ignored = 'which salt-apid (like salt-api) ignores';
    expect((await runCheck(dir)).errors).toEqual([
      `${file}: unknown key 'prot' under rest_cherrypy, ${ignored}; did you mean 'port'?`,
      `${file}: unknown key 'disable_ssl_please' under rest_cherrypy, ${ignored}`,
      `${file}: unknown key 'max_event' under rest_cherrypy.events_replay, ${ignored}; did you mean 'max_events'?`,
      `${file}: unknown key 'tokn' under rest_cherrypy.event_hub, ${ignored}; did you mean 'token'?`,
      `${file}: unknown key 'allowed_from' under rest_cherrypy.webhooks rule 1, ${ignored}; did you mean 'allow_from'?`,
    ]);
  });

  it('names the included file that holds the key', async () => {
    const dir = configDir();
    mkdirSync(join(dir, 'master.d'));
    writeFileSync(
      join(dir, 'master.d', 'api.conf'),
      'rest_cherrypy:\n  port: 8000\n  disable_ssl: true\n  hots: 127.0.0.1\n',
    );
    expect((await runCheck(dir)).errors).toEqual([
      `${join(dir, 'master.d', 'api.conf')}: unknown key 'hots' under rest_cherrypy, which salt-apid (like salt-api) ignores; did you mean 'host'?`,
    ]);
  });

  it('knows every option and nested key the start reads, queue_size included', () => {
    const rest = {
      queue_size: 1,
      api_acl: { users: {} },
      events_replay: { max_events: 1, max_seconds: 1, max_bytes: 1 },
      event_hub: { token: 't', token_file: 'f', allowed_tags: [] },
      webhooks: [
        { path: 'a', auth: 'token', secret: 's', secret_file: 'f', header: 'h', allow_from: [], replay_window: 1 },
      ],
    };
    expect(unknownRestKeys(rest)).toEqual([]);
    expect(unknownRestKeys('not a mapping')).toEqual([]);
  });
});

describe('nearestName: Levenshtein, at most 2 edits', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('port', 'port')).toBe(0);
    expect(editDistance('prot', 'port')).toBe(2);
    expect(editDistance('hots', 'host')).toBe(2);
    expect(editDistance('', 'app')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('offers the closest known name within 2 edits, letter case ignored, never for a name that short', () => {
    const known = ['port', 'host', 'app', 'app_path', 'static'];
    expect(nearestName('Port', known)).toBe('port');
    expect(nearestName('app_pth', known)).toBe('app_path');
    expect(nearestName('statics', known)).toBe('static');
    expect(nearestName('listen', known)).toBeUndefined();
    expect(nearestName('ab', known)).toBeUndefined();
  });
});

describe('--check-config: legal, but likely a mistake (warnings, exit 0)', () => {
  it('disable_ssl with ssl_* options set, and on an address others can reach', async () => {
    const dir = configDir({ rest: (d) => ['host: 0.0.0.0', `ssl_crt: ${join(d, 'api.crt')}`, 'ssl_allowed_cn: [ci]'] });
    const check = await runCheck(dir);
    const file = join(dir, 'master');
    expect(check.ok).toBe(true);
    expect(check.warnings).toEqual([
      `${file}: rest_cherrypy.disable_ssl: true while listening on 0.0.0.0: passwords and tokens cross the network unencrypted unless a TLS proxy on this host is the only way in`,
      `${file}: rest_cherrypy.disable_ssl: true, so ssl_crt is not used: the API is served over plain HTTP`,
      `${file}: ssl_allowed_cn is set but no client certificate is requested: every API request will be refused (403)`,
    ]);
  });

  it('webhooks: a secret auth never checks is an error; a rule open to anyone, or never reached, a warning', async () => {
    const dir = configDir({
      rest: () => [
        'webhook_disable_auth: true',
        'webhooks:',
        "  - {path: 'open/*', auth: none}",
        "  - {path: 'salted/*', secret: never-checked-1}",
        "  - {path: 'open/*', auth: token, secret: shadowed-1}",
        "  - {path: 'lan/*', auth: none, allow_from: [10.0.0.0/8]}",
      ],
    });
    const check = await runCheck(dir);
    const head = `${join(dir, 'master')}: rest_cherrypy.webhooks: rule`;
    expect(check.errors).toEqual([
      `${head} 2 (path "salted/*"): a secret is set but auth salt never checks it, so deliveries are not verified with it; set auth to token, github, gitea or gitlab, or remove the secret`,
    ]);
    expect(check.warnings).toEqual([
      `${head} 1 (path "open/*"): auth none without allow_from: anyone who reaches the port can fire events here`,
      `${head} 3 (path "open/*"): never used: rule 1 comes first and matches every path it matches`,
      `${join(dir, 'master')}: rest_cherrypy.webhook_disable_auth: true: anyone who reaches the port can fire events under /hook (where no webhooks rule says otherwise)`,
    ]);
  });

  it('a rule that reads is still checked when another is refused', async () => {
    const dir = configDir({
      rest: () => ['webhooks:', "  - {path: 'a/*', auth: github}", "  - {path: 'b/*', auth: none, secret: b-secret-1}"],
    });
    const check = await runCheck(dir);
    expect(check.errors).toHaveLength(2);
    expect(check.errors[1]).toContain('rule 2 (path "b/*"): a secret is set but auth none never checks it');
  });

  it('debug, queue_size beside socket_queue_size, a session cache salt-apid cannot share', async () => {
    const dir = configDir({
      top: () => ['cache: mysql'],
      rest: () => ['debug: true', 'queue_size: 10', 'socket_queue_size: 20', 'session_store: cache'],
    });
    const file = join(dir, 'master');
    expect((await runCheck(dir)).warnings).toEqual([
      `${file}: rest_cherrypy.debug: true: error answers carry tracebacks; not for a production server`,
      `${file}: rest_cherrypy.queue_size: ignored: socket_queue_size is set too, and wins`,
      `${file}: rest_cherrypy.session_store: cache needs the localfs or redis cache driver (cache: mysql); sessions would stay in this process`,
    ]);
  });

  it('nobody can log in, no client is enabled', async () => {
    const dir = configDir({ top: () => ['external_auth: {}', 'netapi_enable_clients: []'] });
    const [auth, clients] = (await runCheck(dir)).warnings;
    expect(auth).toBe(`${join(dir, 'master')}: external_auth: not set: the master refuses every login (eauth)`);
    expect(clients).toMatch(/netapi_enable_clients: empty: every lowstate call is refused/);
  });

  it('relative paths, a host that is not this machine, a log level Salt does not know', async () => {
    const dir = configDir({ top: () => ['log_level: loud'], rest: () => ['host: 192.0.2.10', 'static: .'] });
    const file = join(dir, 'master');
    expect((await runCheck(dir)).warnings).toEqual([
      `${file}: log_level: unknown log level "loud", logging at error`,
      `${file}: rest_cherrypy.disable_ssl: true while listening on 192.0.2.10: passwords and tokens cross the network unencrypted unless a TLS proxy on this host is the only way in`,
      `${file}: rest_cherrypy.host: 192.0.2.10 is not an address of this machine now: a start would fail (EADDRNOTAVAIL) unless it is one by then`,
      `${file}: rest_cherrypy.static: "." is relative: it is taken from the directory salt-apid starts in (here ${process.cwd()}; / under systemd)`,
    ]);
  });
});
