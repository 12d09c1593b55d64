import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Request } from 'zeromq';
import { pack } from '../../src/salt/codec/pack.js';
import { unpack } from '../../src/salt/codec/unpack.js';
import { isSaltMap, type SaltMap, type SaltValue } from '../../src/salt/codec/values.js';
import { encodeEventFrame } from '../../src/salt/event-frame.js';
import { DemoMaster } from '../../src/demo/demo-master.js';
import { Float64 } from '../../src/python/float.js';
import { bytesOf, loadFixture, toWireValue, type RecordedEvent } from '../support/fixtures.js';
import { BusReader, push, sleepMs } from '../support/demo-bus.js';

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
  // A float with nothing after the point (a token's `start` at a whole second) decodes as a Float64.
  if (value instanceof Float64) return 'number';
  if (isSaltMap(value)) return Object.entries(value).map(([k, v]) => [/^\d{20}$/.test(k) ? '<jid>' : k, shapeOf(v)]);
  return typeof value === 'bigint' ? 'number' : typeof value;
}

const normTag = (tag: string): string => tag.replace(/\d{20}/g, '<jid>');

function recordedShapes(events: readonly RecordedEvent[]): unknown[] {
  return events.map((e) => [normTag(e.tag), shapeOf(toWireValue(e.data))]);
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
