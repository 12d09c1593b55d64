import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { TokenRecord } from '../../src/salt/clear-commands.js';
import { TOKEN_CHECK_CACHE_MS } from '../../src/http/auth/auth.js';
import { TOO_MANY_LOOKUPS, TokenChecks } from '../../src/http/auth/token-checks.js';
import { MasterTimeoutError } from '../../src/salt/errors.js';

/** The token checks the streams share: one round trip per token, however many connections. */

interface FakeMaster {
  available: boolean;
  asked: number;
  /** Answers wait until this resolves (the default: at once). */
  hold: Promise<void>;
  /** Thrown by the next lookups instead of answering, while set. */
  failing: Error | undefined;
  commands: { getToken(token: string): Promise<TokenRecord | null> };
}

function fakeMaster(valid: Set<string>, expire = 10_000): FakeMaster {
  const master: FakeMaster = {
    available: true,
    asked: 0,
    hold: Promise.resolve(),
    failing: undefined,
    commands: {
      getToken: async (token: string): Promise<TokenRecord | null> => {
        master.asked++;
        await master.hold;
        if (master.failing !== undefined) throw master.failing;
        return valid.has(token) ? { token, name: 'saltdev', eauth: 'pam', start: 0, expire } : null;
      },
    },
  };
  return master;
}

const randomToken = (): string => randomBytes(32).toString('hex');

describe('TokenChecks', () => {
  it('asks the master once for concurrent checks of one token, then trusts the answer for a while', async () => {
    let now = 1_000_000;
    const master = fakeMaster(new Set(['aa']), 2_000_000);
    const checks = new TokenChecks(master, { now: () => now });
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

  it('never trusts a confirmation past the token expiry, and refuses it from then on without asking', async () => {
    let now = 9_999_000;
    const master = fakeMaster(new Set(['bb']), 10_000);
    const checks = new TokenChecks(master, { now: () => now });
    expect(await checks.honoured('bb')).not.toBeNull();
    now = 10_000_000;
    expect(await checks.honoured('bb')).toBeNull();
    await expect(checks.require('bb')).rejects.toMatchObject({ status: 401 });
    expect(master.asked).toBe(1);
  });

  it('forgets the oldest confirmations past its bound', async () => {
    const tokens = ['t1', 't2', 't3', 't4'];
    const master = fakeMaster(new Set(tokens), 2_000_000);
    const checks = new TokenChecks(master, { now: () => 1_000_000, maxTokens: 3 });
    for (const token of tokens) await checks.honoured(token);
    expect(checks.size).toBe(3);
    await checks.honoured('t1');
    expect(master.asked).toBe(5);
  });
});

describe('TokenChecks: refusals', () => {
  it('remembers a refusal for a minute: a refused token presented 1,000 times costs one lookup', async () => {
    let now = 1_000_000;
    const master = fakeMaster(new Set());
    const checks = new TokenChecks(master, { now: () => now });
    const token = randomToken();
    for (let i = 0; i < 1_000; i++) await expect(checks.require(token)).rejects.toMatchObject({ status: 401 });
    expect(master.asked).toBe(1);
    expect(checks.lookups()).toEqual({ asked: 1, cachedRefusals: 999, limited: 0 });
    now += 60_000;
    expect(await checks.honoured(token)).toBeNull();
    expect(master.asked).toBe(2);
  });

  it('keeps at most maxRefusals, by a digest of the token, never the token itself', async () => {
    let now = 1_000_000;
    const master = fakeMaster(new Set());
    const checks = new TokenChecks(master, { now: () => now, maxRefusals: 100, unknownPerSecond: 1_000_000 });
    const tokens = Array.from({ length: 1_000 }, randomToken);
    for (const token of tokens) {
      now += 1;
      await checks.honoured(token);
    }
    expect(checks.refusalsKept).toBe(100);
    const kept = JSON.stringify(checks, (_key, value: unknown) => (value instanceof Map ? [...value.keys()] : value));
    expect(kept).toContain('"until":[');
    expect(tokens.some((token) => kept.includes(token))).toBe(false);
  });

  it('remembers nothing when the master did not answer: the token works once the master does', async () => {
    const token = randomToken();
    const master = fakeMaster(new Set([token]), 2_000_000);
    const checks = new TokenChecks(master, { now: () => 1_000_000 });
    master.failing = new MasterTimeoutError('get_token', 5_000);
    await expect(checks.honoured(token)).rejects.toBeInstanceOf(MasterTimeoutError);
    master.available = false;
    await expect(checks.honoured(token)).rejects.toMatchObject({ status: 503 });
    master.failing = undefined;
    master.available = true;
    expect(await checks.honoured(token)).toMatchObject({ token });
  });

  it('a login confirms its token even if a refusal of it was remembered', async () => {
    const token = randomToken();
    const master = fakeMaster(new Set());
    const checks = new TokenChecks(master, { now: () => 1_000_000 });
    expect(await checks.honoured(token)).toBeNull();
    checks.confirm({ token, name: 'saltdev', eauth: 'pam', start: 0, expire: 2_000_000 });
    expect(await checks.honoured(token)).toMatchObject({ token });
  });
});

describe('TokenChecks: lookups of unknown tokens', () => {
  it('at most 8 at once: 2,000 random tokens checked together cost 8 lookups, the rest 503 with Retry-After: 1', async () => {
    const master = fakeMaster(new Set());
    let release = (): void => undefined;
    master.hold = new Promise((resolve) => (release = resolve));
    const checks = new TokenChecks(master, { now: () => 1_000_000 });
    const outcomes = Array.from({ length: 2_000 }, () =>
      checks.require(randomToken()).catch((error: unknown) => error),
    );
    release();
    const errors = (await Promise.all(outcomes)) as Array<{ status: number; message: string; headers: unknown }>;
    expect(master.asked).toBe(8);
    expect(errors.filter((error) => error.status === 401)).toHaveLength(8);
    const limited = errors.filter((error) => error.status === 503);
    expect(limited).toHaveLength(1_992);
    expect(limited[0]).toMatchObject({ message: TOO_MANY_LOOKUPS, headers: { 'Retry-After': '1' } });
    expect(checks.lookups()).toEqual({ asked: 8, cachedRefusals: 0, limited: 1_992 });
  });

  it('at most 20 a second: 2,000 random tokens one after another cost 20 lookups, then 20 more a second', async () => {
    let now = 1_000_000;
    const master = fakeMaster(new Set());
    const checks = new TokenChecks(master, { now: () => now });
    const statuses: number[] = [];
    const check = async (): Promise<void> => {
      const error = (await checks.require(randomToken()).catch((caught: unknown) => caught)) as { status: number };
      statuses.push(error.status);
    };
    for (let i = 0; i < 2_000; i++) await check();
    expect(master.asked).toBe(20);
    expect(statuses.filter((status) => status === 503)).toHaveLength(1_980);
    now += 500;
    for (let i = 0; i < 100; i++) await check();
    expect(master.asked).toBe(30);
    now += 10_000;
    for (let i = 0; i < 100; i++) await check();
    expect(master.asked).toBe(50);
  });

  it('never holds back a token a session holds or one confirmed before', async () => {
    let now = 1_000_000;
    const held = randomToken();
    const confirmed = randomToken();
    const master = fakeMaster(new Set([held, confirmed]), 2_000_000);
    const checks = new TokenChecks(master, { now: () => now, isHeld: (token) => token === held });
    checks.confirm({ token: confirmed, name: 'saltdev', eauth: 'pam', start: 0, expire: 2_000_000 });
    now += TOKEN_CHECK_CACHE_MS;
    for (let i = 0; i < 100; i++) await checks.honoured(randomToken()).catch(() => undefined);
    expect(checks.lookups().limited).toBe(80);
    expect(await checks.honoured(held)).toMatchObject({ token: held });
    expect(await checks.honoured(confirmed)).toMatchObject({ token: confirmed });
    expect(checks.lookups().asked).toBe(20);
  });
});
