import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { demoServerSettings, json, login, startApi, startTestServer, type ApiUnderTest } from '../support/api.js';
import { SseClient } from '../support/sse.js';

/**
 * salt-apid on another host than the master: the master runs its event bus over TCP
 * (`ipc_mode: tcp`), which Salt binds to 127.0.0.1 only, so salt-apid's host reaches it through a
 * tunnel (`ssh -L 4512:127.0.0.1:4512 -L 4513:127.0.0.1:4513 master`) and the request port at the
 * master's `interface`. Here a TCP forwarder stands in for the tunnel: salt-apid knows only the
 * forwarded ports.
 */

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A port on 127.0.0.1 that relays every connection to `target`, as an SSH tunnel does. */
async function forwarder(target: number): Promise<{ port: number; connections: () => number }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((inbound) => {
    connections++;
    const outbound = connect(target, '127.0.0.1');
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { port: address.port, connections: () => connections };
}

describe('the event bus over TCP, through a tunnel', () => {
  it('streams events and fires hooks with only the forwarded bus ports', async () => {
    // A demo master with its bus on TCP (startApi gives salt-apid its direct ports; a second
    // salt-apid below gets only the forwarded ones).
    const direct: ApiUnderTest = await startApi({ demo: { ipcMode: 'tcp' } });
    closers.push(() => direct.close());
    const { pubAddress, pullAddress } = direct.demo;
    if (typeof pubAddress === 'string' || typeof pullAddress === 'string') throw new Error('not tcp');
    const [pub, pull] = [await forwarder(pubAddress.port), await forwarder(pullAddress.port)];
    const onDemo = await demoServerSettings(direct.demo);
    const settings = {
      ...onDemo,
      master: { ...onDemo.master, ipcMode: 'tcp' as const, tcpMasterPubPort: pub.port, tcpMasterPullPort: pull.port },
    };
    const server = await startTestServer(settings);
    closers.push(() => server.close());
    const remote = { url: server.url, call: (path: string, init?: RequestInit) => fetch(server.url + path, init) };
    const { token } = await login(remote);
    const sse = await SseClient.open(remote, '/events', { 'X-Auth-Token': token });
    closers.push(() => sse.close());
    await sse.waitFor('retry: 400\n');
    const hook = await remote.call('/hook/through/tunnel', json({ a: 1 }, { 'X-Auth-Token': token }));
    expect(hook.status).toBe(200);
    await sse.waitFor('tag: salt/netapi/hook/through/tunnel\n');
    expect(server.master.stats().bus).toMatchObject({ state: 'connected', eventsFired: 1 });
    // Both bus sockets went through the tunnel.
    expect(pub.connections()).toBeGreaterThanOrEqual(1);
    expect(pull.connections()).toBeGreaterThanOrEqual(1);
  });
});
