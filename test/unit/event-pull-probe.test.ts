import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PullFrameReader } from '../../src/demo/pull-reader.js';
import { decodeEventBody } from '../../src/salt/event-frame.js';
import { EventPull, PROBE_TAG_PREFIX } from '../../src/salt/event-pull.js';
import { pollUntil } from '../support/poll.js';
import { tempDirsPerTest } from '../support/temp-dirs.js';

/**
 * The pull framing learned from a master whose bus is behind: its probes come back later than the
 * probe's time-out. A guess would send every later event in a framing a length-prefix master drops
 * without a word; the late echo must still decide.
 */

const tempDir = tempDirsPerTest('event-pull-probe-');
const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/** A length-prefix master's puller that republishes what it reads `echoAfterMs` later. */
async function slowLen32Master(echoAfterMs: number): Promise<{ path: string; fired: string[]; pull: () => EventPull }> {
  const path = join(await tempDir(), 'master_event_pull.ipc');
  const fired: string[] = [];
  let pull: EventPull | undefined;
  const server = createServer((socket) => {
    const reader = new PullFrameReader('len32');
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      for (const result of reader.push(chunk)) {
        if (!('body' in result)) continue;
        const { tag } = decodeEventBody(result.body);
        if (tag.startsWith(PROBE_TAG_PREFIX)) setTimeout(() => pull?.probeSeen(tag), echoAfterMs);
        else fired.push(tag);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const make = (): EventPull => {
    pull = new EventPull(
      {
        pull: { path },
        pullFraming: 'auto',
        probeTimeoutMs: 100,
        bareProbeMs: 20,
        maxPullBacklog: 1 << 20,
        logger: undefined,
      },
      { waitConnected: () => Promise.resolve(), connections: 1, connected: true },
    );
    return pull;
  };
  return { path, fired, pull: make };
}

describe('learning the pull framing from a master whose bus is behind', () => {
  it('takes a probe that comes back after the time-out, and fires in that framing', async () => {
    const master = await slowLen32Master(250);
    const pull = master.pull();
    await pull.fire('salt/netapi/hook/late', { n: 1 });
    expect(pull.framing).toBe('len32');
    await pollUntil(
      () => master.fired,
      (fired) => fired.includes('salt/netapi/hook/late'),
    );
    pull.close();
  });

  it('fails the fire, rather than guess, when no probe ever comes back', async () => {
    const master = await slowLen32Master(60_000);
    const pull = master.pull();
    await expect(pull.fire('salt/netapi/hook/lost', {})).rejects.toThrow(/did not republish a framing probe/);
    expect(pull.framing).toBeUndefined();
    expect(master.fired).toEqual([]);
    pull.close();
  });
});
