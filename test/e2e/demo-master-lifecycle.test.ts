import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Request } from 'zeromq';
import { pack } from '../../src/salt/codec/pack.js';
import { unpack } from '../../src/salt/codec/unpack.js';
import { type SaltMap } from '../../src/salt/codec/values.js';
import { encodeEventFrame, frameBody } from '../../src/salt/event-frame.js';
import { DemoMaster, type DemoMasterOptions } from '../../src/demo/demo-master.js';
import { JobCacheFiles } from '../../src/demo/job-cache-files.js';
import { BusReader, openSocket, push, sleepMs } from '../support/demo-bus.js';

describe('demo master: lifecycle and bus variants', () => {
  it('restarts on the same addresses under a live client, keeping its tokens', async () => {
    const first = await DemoMaster.start({});
    const req = new Request({ receiveTimeout: 15_000, linger: 0 });
    req.connect(first.retEndpoint);
    const envelope = (load: SaltMap): Buffer => pack({ enc: 'clear', load, version: 3 }, { useBinType: false });
    await req.send(envelope({ username: 'saltdev', password: 'saltdev', eauth: 'pam', cmd: 'mk_token' }));
    const record = unpack((await req.receive())[0] as Buffer) as SaltMap;
    await first.stop();
    const second = await DemoMaster.start(first.options);
    try {
      expect(second.retEndpoint).toBe(first.retEndpoint);
      await req.send(envelope({ token: record['token'] ?? '', cmd: 'get_token' }));
      expect((unpack((await req.receive())[0] as Buffer) as SaltMap)['name']).toBe('saltdev');
      const reader = await BusReader.open(second);
      reader.close();
    } finally {
      req.close();
      await second.stop();
      await rm(second.sockDir, { recursive: true, force: true });
    }
  });

  it('tcp mode with a length-prefixed publisher and a bare puller (other releases)', async () => {
    const options: DemoMasterOptions = { ipcMode: 'tcp', pubFraming: 'len32', pullFraming: 'bare' };
    const master = await DemoMaster.start(options);
    try {
      expect(master.pubAddress).toMatchObject({ host: '127.0.0.1' });
      const reader = await BusReader.open(master);
      expect(reader.raw[0]).toBe(0x00);
      await push(master.pullAddress, encodeEventFrame('demo/test/prefixed', {}, 'len32'));
      await push(master.pullAddress, encodeEventFrame('demo/test/bare', { x: 1 }, 'bare'));
      await reader.waitFor(() => reader.tagged('demo/test/bare').length === 1);
      expect(reader.tagged('demo/test/prefixed')).toEqual([]);
      reader.close();
    } finally {
      await master.stop();
    }
  });

  it('cuts off a reader that does not read, without holding up the others', async () => {
    const master = await DemoMaster.start({ maxPendingBytes: 256 * 1024 });
    try {
      const healthy = await BusReader.open(master);
      const stalled = await openSocket(master.pubAddress);
      stalled.pause();
      const closed = new Promise<void>((resolve) => stalled.once('close', () => resolve()));
      const body = 'x'.repeat(16 * 1024);
      for (let i = 0; i < 200; i++) {
        master.fireEvent(`demo/test/flood/${i}`, { body });
        if (i % 4 === 3) await sleepMs(2);
      }
      await healthy.waitFor(() => healthy.tagged('demo/test/flood/').length === 200);
      stalled.resume();
      await closed;
      healthy.close();
    } finally {
      await master.stop();
    }
  });

  it('republishes a pushed body unchanged in the publisher framing', async () => {
    const master = await DemoMaster.start({ pubFraming: 'len32' });
    try {
      const reader = await BusReader.open(master);
      const body = Buffer.from('demo/test/raw\n\n\x81\xa1k\xa1v', 'latin1');
      await push(master.pullAddress, frameBody(body, 'len32'));
      await reader.waitFor(() => reader.raw.includes(frameBody(body, 'len32')));
      reader.close();
    } finally {
      await master.stop();
    }
  });
});

describe('demo master: what the original salt-api looks for besides the protocol', () => {
  it('keeps workers.ipc and publish_pull.ipc in sock_dir while it runs, and its job cache on disk', async () => {
    const cachedir = await mkdtemp(join(tmpdir(), 'salt-demo-cachedir-'));
    const master = await DemoMaster.start({ cachedir });
    const req = new Request({ receiveTimeout: 15_000, linger: 0 });
    try {
      for (const name of ['workers.ipc', 'publish_pull.ipc']) {
        expect((await stat(join(master.sockDir, name))).isSocket()).toBe(true);
      }
      req.connect(master.retEndpoint);
      const envelope = (load: SaltMap): Buffer => pack({ enc: 'clear', load, version: 3 }, { useBinType: false });
      await req.send(
        envelope({
          cmd: 'publish',
          tgt: '*',
          fun: 'test.ping',
          arg: [],
          tgt_type: 'glob',
          ret: '',
          jid: '',
          user: 'saltdev',
          kwargs: { username: 'saltdev', password: 'saltdev', eauth: 'pam' },
        }),
      );
      const reply = unpack((await req.receive())[0] as Buffer) as { load: { jid: string; minions: string[] } };
      const { jid, minions } = reply.load;
      // Written before the publish was answered, as the master's save_load.
      const dir = new JobCacheFiles(cachedir, 'sha256').dirOf(jid);
      expect({ ...(unpack(await readFile(join(dir, '.load.p'))) as object) }).toMatchObject({ fun: 'test.ping', jid });
      expect(unpack(await readFile(join(dir, '.minions.p')))).toEqual(minions);
    } finally {
      req.close();
      await master.stop();
      await rm(cachedir, { recursive: true, force: true });
    }
    await expect(stat(join(master.sockDir, 'workers.ipc'))).rejects.toThrow(/ENOENT/);
  });
});
