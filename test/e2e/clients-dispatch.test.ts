import { describe, expect, it } from 'vitest';
import { createNetapi } from '../../src/salt/clients/netapi-dispatcher.js';
import { NETAPI_CLIENTS } from '../../src/salt/clients/netapi.js';
import { SaltMaster } from '../../src/salt/master.js';
import { testSettings } from '../support/settings.js';
import { harness } from '../support/clients.js';

/** Gatekeeping in salt-api's order (docs/routes.md "Lowstate clients"); the ssh client has clients-ssh.test.ts. */

describe('gatekeeping', () => {
  it('answers 503 "not available" while the master is unreachable', async () => {
    const master = new SaltMaster({
      requestEndpoint: 'tcp://127.0.0.1:1',
      pub: { path: '/nonexistent/pub.ipc' },
      pull: { path: '/nonexistent/pull.ipc' },
      pullFraming: 'bare',
    });
    const netapi = createNetapi({ master, settings: testSettings().master });
    expect(netapi.masterAvailable).toBe(false);
    await expect(netapi.run({ client: 'bogus' })).rejects.toMatchObject({
      kind: 'unavailable',
      message: expect.stringContaining('Salt Master is not available'),
    });
    master.close();
  });

  it('names an unknown or missing client, before looking at credentials', async () => {
    const h = await harness();
    expect(h.netapi.masterAvailable).toBe(true);
    await expect(h.netapi.run({ client: 'bogus' })).rejects.toMatchObject({
      kind: 'invalid',
      message: "Invalid client specified: 'bogus'",
    });
    await expect(h.netapi.run({ fun: 'test.ping' })).rejects.toMatchObject({
      kind: 'invalid',
      message: "Invalid client specified: 'None'",
    });
  });

  it('refuses clients missing from netapi_enable_clients', async () => {
    const h = await harness({ settings: { netapiEnableClients: ['local'] } });
    for (const client of NETAPI_CLIENTS.filter((c) => c !== 'local')) {
      await expect(h.netapi.run({ client, token: h.token })).rejects.toMatchObject({
        kind: 'invalid',
        message: `Client disabled: '${client}'. Add to 'netapi_enable_clients' master config option to enable.`,
      });
    }
  });

  it('wants token or eauth: username and password alone are no credentials', async () => {
    const h = await harness();
    await expect(
      h.netapi.run({ client: 'local', tgt: '*', fun: 'test.ping', username: 'saltdev', password: 'saltdev' }),
    ).rejects.toMatchObject({
      kind: 'auth',
      message: 'No authentication credentials given',
    });
    expect(h.loads).toEqual([]);
  });

  it('refuses raw_shell unless netapi_allow_raw_shell', async () => {
    const refused = await harness();
    await expect(
      refused.netapi.run({ client: 'local', tgt: '*', fun: 'test.ping', raw_shell: true, token: refused.token }),
    ).rejects.toMatchObject({
      kind: 'auth',
      message: 'Raw shell option not allowed.',
    });
    const allowed = await harness({ settings: { netapiAllowRawShell: true } });
    expect(
      await allowed.netapi.run({ client: 'local', tgt: '*', fun: 'test.ping', raw_shell: true, token: allowed.token }),
    ).toEqual([{ 'minion-1': true }]);
  });

  it('says "<client> takes at least 1 argument (0 given)" for runner and wheel chunks without fun', async () => {
    const h = await harness();
    for (const client of ['runner', 'runner_async', 'wheel', 'wheel_async']) {
      await expect(h.netapi.run({ client, token: h.token })).rejects.toMatchObject({
        kind: 'invalid',
        message: `${client} takes at least 1 argument (0 given)`,
      });
    }
    expect(h.loads).toEqual([]);
  });
});
