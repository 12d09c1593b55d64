import { describe, expect, it } from 'vitest';
import { CallLatencies, DEFAULT_CALL_LATENCY, callKey } from '../../src/salt/clients/admission/call-latency.js';

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
  it('knows a call never measured, fast, or slow', () => {
    const latencies = new CallLatencies();
    latencies.record('fast', 100, false, 0);
    latencies.record('slow', 2_500, true, 0);
    expect(latencies.speed('fast', 0)).toBe('fast');
    expect(latencies.speed('slow', 0)).toBe('slow');
    expect(latencies.speed('other', 0)).toBe('unmeasured');
  });

  it("goes by the latest time that was the call's own, however it varies between runs", () => {
    const latencies = new CallLatencies();
    latencies.record('a', 500, false, 0);
    latencies.record('a', 5_000, true, 1); // seen running on its minions: the call's own time
    expect(latencies.speed('a', 1)).toBe('slow');
    latencies.record('a', 500, false, 2);
    expect(latencies.speed('a', 2)).toBe('fast');
  });

  it('does not record a long time nobody saw the minions spend: the master may have made it long', () => {
    const latencies = new CallLatencies();
    latencies.record('ping', 150, false, 0);
    latencies.record('ping', 6_000, false, 1);
    expect(latencies.speed('ping', 1)).toBe('fast');
    latencies.record('new', 6_000, false, 1);
    expect(latencies.speed('new', 1)).toBe('unmeasured');
  });

  it('forgets a time older than its memory', () => {
    const latencies = new CallLatencies({ ...DEFAULT_CALL_LATENCY, memoryMs: 1_000 });
    latencies.record('a', 100, false, 0);
    expect(latencies.speed('a', 1_000)).toBe('fast');
    expect(latencies.speed('a', 1_001)).toBe('unmeasured');
  });

  it('forgets the call measured longest ago first', () => {
    const latencies = new CallLatencies({ ...DEFAULT_CALL_LATENCY, maxCalls: 2 });
    latencies.record('a', 100, false, 0);
    latencies.record('b', 100, false, 1);
    latencies.record('a', 50, false, 2);
    latencies.record('c', 100, false, 3);
    expect(latencies.speed('b', 3)).toBe('unmeasured');
    expect(latencies.speed('a', 3)).toBe('fast');
    expect(latencies.speed('c', 3)).toBe('fast');
  });
});
