import { describe, expect, it, vi } from 'vitest';
import { ReturnEcho } from '../../src/salt/clients/local/return-echo.js';

/** Returns the master puts on the bus twice (return-echo.ts). */

const ret = (jid: string, id: string) => ({ tag: `salt/job/${jid}/ret/${id}`, data: { id, return: true } });

describe('ReturnEcho', () => {
  it("reports a return's second and later copies, with when the first arrived", () => {
    const echoes: number[] = [];
    const echo = new ReturnEcho((first) => echoes.push(first));
    const before = performance.now();
    echo.onEvent(ret('1', 'a'));
    echo.onEvent(ret('1', 'b'));
    echo.onEvent(ret('2', 'a'));
    expect(echoes).toEqual([]);
    echo.onEvent(ret('1', 'a'));
    echo.onEvent(ret('1', 'a'));
    expect(echoes).toHaveLength(2);
    expect(echoes[0]).toBeGreaterThanOrEqual(before);
  });

  it('ignores events that are not returns', () => {
    const echoes: number[] = [];
    const echo = new ReturnEcho((first) => echoes.push(first));
    for (let i = 0; i < 2; i++) {
      echo.onEvent({ tag: 'salt/job/1/new', data: { minions: ['a'] } });
      echo.onEvent({ tag: 'salt/job/1/ret/a', data: { id: 'a' } });
      echo.onEvent({ tag: 'salt/run/1/ret', data: { return: 1 } });
      echo.onEvent({ tag: 'salt/auth', data: { return: 1 } });
    }
    expect(echoes).toEqual([]);
  });

  it('remembers a bounded number of returns, forgetting the oldest', () => {
    const echoes: number[] = [];
    const echo = new ReturnEcho((first) => echoes.push(first));
    for (let i = 0; i <= 20_000; i++) echo.onEvent(ret(String(i), 'a'));
    echo.onEvent(ret('0', 'a'));
    expect(echoes).toEqual([]);
    echo.onEvent(ret('20000', 'a'));
    expect(echoes).toHaveLength(1);
  });

  it('forgets a return after two minutes: copies come within seconds', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      const echoes: number[] = [];
      const echo = new ReturnEcho((first) => echoes.push(first));
      echo.onEvent(ret('1', 'a'));
      vi.advanceTimersByTime(60_000);
      echo.onEvent(ret('1', 'a'));
      expect(echoes).toHaveLength(1);
      vi.advanceTimersByTime(60_001);
      echo.onEvent(ret('2', 'a')); // the next return drops what is too old
      echo.onEvent(ret('1', 'a'));
      expect(echoes).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
