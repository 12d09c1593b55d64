import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventServer } from '../../src/demo/event-server.js';
import { tempDirsPerTest } from '../support/temp-dirs.js';

/** The demo master's event bus: its sockets' life cycle. */

const tempDir = tempDirsPerTest('salt-demo-bus-');

describe('the demo event server', () => {
  it('stops even when a reader connected while it was still starting', async () => {
    const dir = await tempDir();
    const pubAddress = join(dir, 'master_event_pub.ipc');
    // A reader that retries at once, as a reconnecting salt-apid does: it is connected before the
    // puller listens, and stays until the server cuts it.
    let retrying = true;
    let connected = 0;
    const dial = (): void => {
      if (!retrying) return;
      const socket = connect(pubAddress);
      socket.on('connect', () => {
        connected++;
        retrying = false;
      });
      socket.on('error', () => setImmediate(dial));
    };
    dial();
    const server = await EventServer.start({
      pubAddress,
      pullAddress: join(dir, 'master_event_pull.ipc'),
      pubFraming: 'bare',
      pullFraming: 'len32',
      maxPendingBytes: 1 << 20,
      logger: undefined,
    });
    retrying = false;
    let timer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      server.stop().then(() => 'stopped'),
      new Promise((resolve) => (timer = setTimeout(() => resolve('still waiting for a connection'), 5_000))),
    ]);
    clearTimeout(timer);
    expect(stopped).toBe('stopped');
    expect(connected).toBeLessThanOrEqual(1);
  });
});
