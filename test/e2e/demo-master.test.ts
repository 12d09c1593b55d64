import { rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dealer, Request } from 'zeromq';
import { pack } from '../../src/salt/codec/pack.js';
import { unpack } from '../../src/salt/codec/unpack.js';
import { isSaltMap, type SaltMap, type SaltValue } from '../../src/salt/codec/values.js';
import { encodeEventFrame, EventFrameReader, frameBody, type SaltEvent } from '../../src/salt/event-frame.js';
import { DemoMaster, type BusAddress, type DemoMasterOptions } from '../../src/demo/demo-master.js';
import { bytesOf, loadFixture, toWireValue, type RecordedEvent } from '../support/fixtures.js';

/**
 * The demo master against the recorded fixtures, spoken to with raw ZeroMQ and raw sockets:
 * guard replies byte for byte, every other reply and event by shape (same key order, same value
 * types; jids, tokens and times differ).
 */

/** Tokens that were valid during the recording; requests carrying them get a demo token. */
const RECORDED_GOOD_TOKENS = new Set([
  '2d995e4475fe1799d1eb904e8cd46b23450f34ab6b89bb9b49c20758fef1755b',
  '4d102c763ecdbd51239872a7af48cacaecb56b6efebd6ccea443bae1212169d0',
]);

const sleepMs = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function roundTrip(endpoint: string, payload: Buffer, timeoutMs = 5000): Promise<Buffer> {
  const sock = new Request({ receiveTimeout: timeoutMs, linger: 0 });
  sock.connect(endpoint);
  try {
    await sock.send(payload);
    const [reply] = await sock.receive();
    return reply as Buffer;
  } finally {
    sock.close();
  }
}

async function call(master: DemoMaster, load: SaltMap): Promise<SaltValue> {
  return unpack(await roundTrip(master.retEndpoint, pack({ enc: 'clear', load, version: 3 }, { useBinType: false })));
}

/** Normalises what may differ between recording and demo: jids as keys, then value types. */
function shapeOf(value: unknown): unknown {
  if (value === null || value === undefined) return 'nil';
  if (Array.isArray(value)) return value.map(shapeOf);
  if (value instanceof Uint8Array) return 'bytes';
  if (isSaltMap(value)) return Object.entries(value).map(([k, v]) => [/^\d{20}$/.test(k) ? '<jid>' : k, shapeOf(v)]);
  return typeof value === 'bigint' ? 'number' : typeof value;
}

const normTag = (tag: string): string => tag.replace(/\d{20}/g, '<jid>');

function recordedShapes(events: readonly RecordedEvent[]): unknown[] {
  return events.map((e) => [normTag(e.tag), shapeOf(toWireValue(e.data))]);
}

/** A raw reader of the publisher: keeps every byte and every decoded event. */
class BusReader {
  readonly events: SaltEvent[] = [];
  raw = Buffer.alloc(0);
  private readonly frames = new EventFrameReader();

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.raw = Buffer.concat([this.raw, chunk]);
      for (const r of this.frames.push(chunk)) if ('event' in r) this.events.push(r.event);
    });
  }

  static async open(master: DemoMaster): Promise<BusReader> {
    const socket = await openSocket(master.pubAddress);
    const reader = new BusReader(socket);
    for (let n = 0; !reader.events.some((e) => e.tag.startsWith('demo/test/ready')); n++) {
      master.fireEvent(`demo/test/ready/${n}`, {});
      await sleepMs(10);
    }
    return reader;
  }

  tagged(fragment: string): SaltEvent[] {
    return this.events.filter((e) => e.tag.includes(fragment));
  }

  async waitFor(test: () => boolean, timeoutMs = 4000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!test()) {
      if (Date.now() > deadline) throw new Error(`bus wait timed out; saw ${this.events.map((e) => e.tag).join(', ')}`);
      await sleepMs(10);
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

function openSocket(address: BusAddress): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = typeof address === 'string' ? connect(address) : connect(address.port, address.host);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

async function push(address: BusAddress, frame: Buffer): Promise<void> {
  const socket = await openSocket(address);
  await new Promise<void>((resolve) => socket.end(frame, () => resolve()));
}

describe('demo master against the recorded fixtures', () => {
  let master: DemoMaster;
  let bus: BusReader;
  let token: string;
  let testArgJid = '';

  beforeAll(async () => {
    master = await DemoMaster.start({ minions: ['minion-1'] });
    bus = await BusReader.open(master);
    const record = await call(master, { username: 'saltdev', password: 'saltdev', eauth: 'pam', cmd: 'mk_token' });
    token = isSaltMap(record) ? (record['token'] as string) : '';
  });

  afterAll(async () => {
    bus.close();
    await master.stop();
  });

  /** The fixture's request, with recorded-valid tokens and the given replacements swapped in. */
  function recordedRequest(payload: { b64: string }, replace: Record<string, string> = {}): Buffer {
    const swap = (value: SaltValue): SaltValue => {
      if (typeof value === 'string') return RECORDED_GOOD_TOKENS.has(value) ? token : (replace[value] ?? value);
      if (Array.isArray(value)) return value.map(swap);
      if (isSaltMap(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, swap(v)]));
      return value;
    };
    let decoded: SaltValue;
    try {
      decoded = unpack(bytesOf(payload));
    } catch {
      return bytesOf(payload);
    }
    return pack(swap(decoded), { useBinType: false });
  }

  /** Sends a fixture's request; checks the reply's shape and the shapes of the events of its jid. */
  async function replay(name: string, replace: Record<string, string> = {}): Promise<SaltValue> {
    const fixture = loadFixture(name);
    const reply = unpack(await roundTrip(master.retEndpoint, recordedRequest(fixture.request!.payload, replace)));
    const recordedReply = toWireValue(fixture.reply!.decoded);
    expect(shapeOf(reply)).toEqual(shapeOf(recordedReply));
    const recordedEvents = fixture.events;
    const jid =
      /\d{20}/.exec(JSON.stringify(reply))?.[0] ?? /\d{20}/.exec(JSON.stringify(fixture.request!.payload.decoded))?.[0];
    if (jid !== undefined && recordedEvents !== undefined) {
      await bus.waitFor(() => bus.tagged(jid).length >= recordedEvents.length);
      await sleepMs(30);
      const ours = bus.tagged(jid).map((e) => [normTag(e.tag), shapeOf(e.data)]);
      expect(ours).toEqual(recordedShapes(recordedEvents));
    }
    return reply;
  }

  it.each([
    'req_ping_echo',
    'req_unknown_cmd',
    'req_missing_cmd',
    'req_no_version',
    'req_version_2',
    'req_missing_enc',
    'req_load_not_a_map',
    'req_id_with_nul',
    'req_not_msgpack',
    'req_rm_token_not_exposed',
    'pub_missing_user_field',
    'pub_bad_token',
    'pub_eauth_bad_password',
    'pub_no_auth_empty_key',
    'pub_not_authorized',
    'pub_no_minions_matched',
    'runner_bad_token',
    'runner_bad_password',
    'runner_not_authorized',
    'runner_no_credentials',
    'wheel_bad_token',
    'wheel_not_authorized',
    'token_mk_pam_bad_password',
    'token_mk_unknown_eauth',
    'token_mk_missing_eauth',
    'token_get_unknown',
    'token_get_not_hex',
    'token_get_missing_token_key',
  ])('%s: the recorded reply, byte for byte', async (name) => {
    const fixture = loadFixture(name);
    const reply = await roundTrip(master.retEndpoint, recordedRequest(fixture.request!.payload));
    expect(reply.toString('hex')).toBe(bytesOf(fixture.reply!).toString('hex'));
  });

  it.each(['token_mk_pam_ok', 'token_mk_auto_ok', 'token_get_ok'])(
    '%s: a token record of the recorded shape',
    async (name) => {
      const fixture = loadFixture(name);
      const raw = await roundTrip(master.retEndpoint, recordedRequest(fixture.request!.payload));
      expect(shapeOf(unpack(raw))).toEqual(shapeOf(fixture.reply!.decoded));
      for (const key of ['start', 'expire']) {
        expect(
          raw.includes(Buffer.concat([Buffer.from([0xa0 | key.length]), Buffer.from(key), Buffer.from([0xcb])])),
        ).toBe(true);
      }
    },
  );

  it.each([
    'pub_token_ping',
    'pub_eauth_pam_ping',
    'pub_minimal_keys',
    'pub_compound_functions',
    'pub_list_target_with_missing',
    'pub_unknown_function',
    'pub_bad_token_with_jid',
    'wheel_key_list_all_token',
    'wheel_key_list_all_eauth',
    'wheel_key_finger_match',
    'wheel_unknown_function',
    'runner_manage_status_sync',
    'runner_eauth_inline',
    'runner_list_jobs_async',
  ])('%s: reply and events of the recorded shapes', async (name) => {
    await replay(name);
  });

  it('pub_test_arg_kwargs_metadata, then runner_list_jobs_sync and runner_lookup_jid_sync find that job', async () => {
    const reply = await replay('pub_test_arg_kwargs_metadata');
    testArgJid = /\d{20}/.exec(JSON.stringify(reply))?.[0] ?? '';
    await replay('runner_list_jobs_sync');
    await replay('runner_lookup_jid_sync', { '20261123084335019288': testArgJid });
  });

  it('runner_unknown_function: accepted, then no event ever', async () => {
    const reply = await call(master, {
      fun: 'nosuch.function',
      kwarg: { kwarg: {}, arg: [] },
      token,
      client: 'runner',
      cmd: 'runner',
    });
    expect(shapeOf(reply)).toEqual(shapeOf(loadFixture('runner_unknown_function').reply!.decoded));
    await sleepMs(200);
    expect(bus.tagged((reply as SaltMap)['jid'] as string)).toEqual([]);
  });

  it('pub_sleep_then_find_job: a running job is reported by saltutil.find_job, then returns', async () => {
    const fixture = loadFixture('pub_sleep_then_find_job');
    const [sleepStep, findStep] = fixture['exchanges'] as Array<{ request: { decoded: SaltMap } }>;
    const sleepLoad = {
      ...(sleepStep!.request.decoded['load'] as SaltMap),
      kwargs: { client: 'local', token },
      arg: [1],
    };
    const published = (await call(master, sleepLoad)) as { load: { jid: string } };
    const jid = published.load.jid;
    await sleepMs(150);
    const findLoad = {
      ...(findStep!.request.decoded['load'] as SaltMap),
      kwargs: { client: 'local', token },
      arg: [jid],
    };
    const found = (await call(master, findLoad)) as { load: { jid: string } };
    await bus.waitFor(() => bus.tagged(`${jid}/ret/`).length === 1, 3000);
    const ours = [...bus.tagged(jid), ...bus.tagged(found.load.jid)]
      .sort((a, b) => bus.events.indexOf(a) - bus.events.indexOf(b))
      .map((e) => [normTag(e.tag), shapeOf(e.data)]);
    expect(ours).toEqual(recordedShapes(fixture.events ?? []));
  });

  it('bus_fire_via_pull: the pushed body comes out of the publisher byte for byte', async () => {
    const fixture = loadFixture('bus_fire_via_pull') as unknown as {
      pushed: { frame_b64: string };
      seen_on_pub: { frame_b64: string };
    };
    const expected = Buffer.from(fixture.seen_on_pub.frame_b64, 'base64');
    await push(master.pullAddress, Buffer.from(fixture.pushed.frame_b64, 'base64'));
    await bus.waitFor(() => bus.raw.includes(expected));
  });

  it('bus_pull_probe: a probe on its own connection is published', async () => {
    const fixture = loadFixture('bus_pull_probe') as unknown as {
      frame_b64: string;
      seen_on_pub: { frame_b64: string };
    };
    await push(master.pullAddress, Buffer.from(fixture.frame_b64, 'base64'));
    await bus.waitFor(() => bus.raw.includes(Buffer.from(fixture.seen_on_pub.frame_b64, 'base64')));
  });

  it('bus_pull_wrong_framing: an unprefixed frame and a str body are both dropped', async () => {
    const cases = loadFixture('bus_pull_wrong_framing')['cases'] as Record<string, { frame_b64: string }>;
    for (const c of Object.values(cases)) await push(master.pullAddress, Buffer.from(c.frame_b64, 'base64'));
    await push(master.pullAddress, encodeEventFrame('demo/test/sentinel', {}, 'len32'));
    await bus.waitFor(() => bus.tagged('demo/test/sentinel').length === 1);
    expect(bus.tagged('wire/recorder')).toHaveLength(1);
    expect(bus.tagged('wire/recorder/8525a292/fired')).toHaveLength(1);
  });

  it('events the master fires itself carry _stamp last, ISO UTC with +00:00', async () => {
    master.fireEvent('demo/test/stamped', { a: 1 });
    await bus.waitFor(() => bus.tagged('demo/test/stamped').length === 1);
    const data = bus.tagged('demo/test/stamped')[0]!.data;
    expect(Object.keys(data)).toEqual(['a', '_stamp']);
    expect(data['_stamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/);
  });
});

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
