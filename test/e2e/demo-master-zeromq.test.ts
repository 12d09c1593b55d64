import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dealer } from 'zeromq';
import { unpack } from '../../src/salt/codec/unpack.js';
import { type SaltValue } from '../../src/salt/codec/values.js';
import { DemoMaster } from '../../src/demo/demo-master.js';
import { loadFixture } from '../support/fixtures.js';

describe('demo master: ZeroMQ framing and concurrency', () => {
  let master: DemoMaster;
  beforeAll(async () => {
    master = await DemoMaster.start({ slowAuthFailures: [300, 400] });
  });
  afterAll(() => master.stop());

  async function dealer(): Promise<Dealer> {
    const sock = new Dealer({ receiveTimeout: 2000, linger: 0 });
    sock.connect(master.retEndpoint);
    return sock;
  }

  it('req_dealer_no_delimiter: silently dropped', async () => {
    const sock = await dealer();
    sock.receiveTimeout = 300;
    const sent = (loadFixture('req_dealer_no_delimiter')['sent'] as { frames_b64: string[] }).frames_b64;
    await sock.send(sent.map((f) => Buffer.from(f, 'base64')));
    await expect(sock.receive()).rejects.toThrow();
    sock.close();
  });

  it('req_dealer_extra_frame: answered with the recorded Routing error frames', async () => {
    const fixture = loadFixture('req_dealer_extra_frame') as unknown as {
      sent: { frames_b64: string[] };
      received: Array<{ frames_b64: string[] }>;
    };
    const sock = await dealer();
    await sock.send(fixture.sent.frames_b64.map((f) => Buffer.from(f, 'base64')));
    const frames = await sock.receive();
    expect(frames.map((f) => f.toString('base64'))).toEqual(fixture.received[0]!.frames_b64);
    sock.close();
  });

  it('req_dealer_pipelined: replies in completion order, the slow failed login last', async () => {
    const sent = loadFixture('req_dealer_pipelined')['sent_in_order'] as Array<{ frames_b64: string[] }>;
    const sock = await dealer();
    for (const message of sent) await sock.send(message.frames_b64.map((f) => Buffer.from(f, 'base64')));
    const replies: SaltValue[] = [];
    while (replies.length < sent.length) replies.push(unpack((await sock.receive())[1] as Buffer));
    expect(replies[2]).toBe('');
    expect(replies.slice(0, 2)).toEqual(
      expect.arrayContaining([
        { cmd: 'ping', seq: 1 },
        { cmd: 'ping', seq: 2 },
      ]),
    );
    sock.close();
  });
});
