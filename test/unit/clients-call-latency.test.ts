import { describe, expect, it } from 'vitest';
import { CallLatencies, DEFAULT_CALL_LATENCY, callKey } from '../../src/salt/clients/call-latency.js';

const ping = { tgt: '*', tgt_type: 'glob', fun: 'test.ping', arg: [] };

describe('callKey', () => {
  it('is the same for the same call, whoever asks', () => {
    expect(callKey({ ...ping })).toBe(callKey(ping));
  });

  it('tells apart targets, target types, functions and arguments', () => {
    const keys = [
      ping,
      { ...ping, tgt: 'web*' },
      { ...ping, tgt_type: 'list' },
      { ...ping, fun: 'test.version' },
      { ...ping, fun: 'cmd.run', arg: ['sleep 1'] },
      { ...ping, fun: 'cmd.run', arg: ['sleep 100'] },
    ].map(callKey);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('CallLatencies', () => {
  it('gives no sign for a call never measured, or never fast', () => {
    const latencies = new CallLatencies();
    expect(latencies.lateAfterMs('a')).toBe(Infinity);
    latencies.record('a', 2_500, 0);
    expect(latencies.lateAfterMs('a')).toBe(Infinity);
    expect(latencies.speed('a')).toBe('slow');
    expect(latencies.speed('b')).toBe('unmeasured');
  });

  it('counts a fast call late past four times its best, and never before the floor', () => {
    const latencies = new CallLatencies();
    latencies.record('fast', 100, 0);
    expect(latencies.lateAfterMs('fast')).toBe(DEFAULT_CALL_LATENCY.floorMs);
    expect(latencies.speed('fast')).toBe('fast');
    latencies.record('slower', 900, 0);
    expect(latencies.lateAfterMs('slower')).toBe(3_600);
  });

  it('keeps the best time, until it is older than its memory', () => {
    const latencies = new CallLatencies({ ...DEFAULT_CALL_LATENCY, floorMs: 0, memoryMs: 1_000 });
    latencies.record('a', 100, 0);
    latencies.record('a', 800, 500);
    expect(latencies.lateAfterMs('a')).toBe(400);
    latencies.record('a', 50, 600);
    expect(latencies.lateAfterMs('a')).toBe(200);
    latencies.record('a', 2_500, 1_700);
    expect(latencies.lateAfterMs('a')).toBe(Infinity);
  });

  it('forgets the call whose best time is oldest first', () => {
    const latencies = new CallLatencies({ ...DEFAULT_CALL_LATENCY, maxCalls: 2 });
    latencies.record('a', 100, 0);
    latencies.record('b', 100, 1);
    latencies.record('a', 50, 2);
    latencies.record('c', 100, 3);
    expect(latencies.lateAfterMs('b')).toBe(Infinity);
    expect(latencies.lateAfterMs('a')).not.toBe(Infinity);
    expect(latencies.lateAfterMs('c')).not.toBe(Infinity);
  });
});
