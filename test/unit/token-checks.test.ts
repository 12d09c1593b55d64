import { describe, expect, it } from 'vitest';
import type { TokenRecord } from '../../src/salt/clear-commands.js';
import { TOKEN_CHECK_CACHE_MS } from '../../src/http/auth.js';
import { TokenChecks } from '../../src/http/token-checks.js';

/** The token checks the streams share: one round trip per token, however many connections. */

function fakeMaster(valid: Set<string>, expire = 10_000) {
  const master = {
    available: true,
    asked: 0,
    commands: {
      getToken: async (token: string): Promise<TokenRecord | null> => {
        master.asked++;
        await new Promise((resolve) => setTimeout(resolve, 5));
        return valid.has(token) ? { token, name: 'saltdev', eauth: 'pam', start: 0, expire } : null;
      },
    },
  };
  return master;
}

describe('TokenChecks', () => {
  it('asks the master once for concurrent checks of one token, then trusts the answer for a while', async () => {
    let now = 1_000_000;
    const master = fakeMaster(new Set(['aa']), 2_000_000);
    const checks = new TokenChecks(master, () => now);
    const records = await Promise.all(Array.from({ length: 1_000 }, () => checks.honoured('aa')));
    expect(records.every((record) => record?.name === 'saltdev')).toBe(true);
    expect(master.asked).toBe(1);
    now += TOKEN_CHECK_CACHE_MS - 1;
    await checks.honoured('aa');
    expect(master.asked).toBe(1);
    now += 2;
    await checks.honoured('aa');
    expect(master.asked).toBe(2);
  });

  it('never trusts a confirmation past the token expiry, and keeps no refusal', async () => {
    let now = 9_999_000;
    const valid = new Set<string>();
    const master = fakeMaster(valid, 10_000);
    const checks = new TokenChecks(master, () => now);
    await expect(checks.require('bb')).rejects.toMatchObject({ status: 401 });
    valid.add('bb');
    expect(await checks.honoured('bb')).not.toBeNull();
    expect(master.asked).toBe(2);
    now = 10_000_000;
    expect(await checks.honoured('bb')).toBeNull();
    expect(master.asked).toBe(3);
  });

  it('forgets the oldest confirmations past its bound', async () => {
    const tokens = ['t1', 't2', 't3', 't4'];
    const master = fakeMaster(new Set(tokens), 2_000_000);
    const checks = new TokenChecks(master, () => 1_000_000, 3);
    for (const token of tokens) await checks.honoured(token);
    expect(checks.size).toBe(3);
    await checks.honoured('t1');
    expect(master.asked).toBe(5);
  });
});
