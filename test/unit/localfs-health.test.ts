import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalfsCache } from '../../src/salt/cache/localfs.js';
import { LocalfsHealth } from '../../src/salt/cache/localfs-health.js';

/** The session files' health (issue 21): down on a failed write, probed at most once per retry, up again alone. */

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function setup(): Promise<{
  cache: LocalfsCache;
  health: LocalfsHealth;
  bank: string;
  clock: { ms: number };
  changes: string[];
}> {
  const dir = await mkdtemp(join(tmpdir(), 'localfs-health-'));
  dirs.push(dir);
  const clock = { ms: 0 };
  const changes: string[] = [];
  const health = new LocalfsHealth(
    (up, reason) => changes.push(up ? 'up' : `down ${reason}`),
    1_000,
    () => clock.ms,
  );
  return {
    cache: new LocalfsCache(dir, Date.now, health),
    health,
    bank: join(dir, 'netapi', 'session'),
    clock,
    changes,
  };
}

describe('LocalfsHealth', () => {
  it('is up without touching the disk while writes succeed', async () => {
    const { cache, health } = await setup();
    await cache.store('netapi/session', 'a', 1);
    expect(await health.check()).toEqual({ up: true });
    expect(health.status()).toEqual({ up: true, failures: 0 });
  });

  it('goes down on a write the file system refuses, retries no more than once a second, and comes back', async () => {
    const { cache, health, bank, clock, changes } = await setup();
    await cache.store('netapi/session', 'a', 1);
    await rm(bank, { recursive: true });
    await writeFile(bank, 'a file where the folder was');
    await expect(cache.store('netapi/session', 'b', 1)).rejects.toMatchObject({ code: expect.any(String) });
    expect(health.status()).toEqual({ up: false, failures: 1 });
    // The first check probes (and fails); within the second, checks answer from memory.
    expect((await health.check()).up).toBe(false);
    expect(health.status().failures).toBe(2);
    clock.ms += 999;
    expect((await health.check()).up).toBe(false);
    expect(health.status().failures).toBe(2);
    await rm(bank);
    expect((await health.check()).up).toBe(false);
    clock.ms += 1;
    expect(await health.check()).toEqual({ up: true });
    expect(changes).toEqual([expect.stringMatching(/^down E/), 'up']);
    // The probe leaves nothing behind.
    await cache.store('netapi/session', 'c', 1);
    expect(await cache.list('netapi/session')).toEqual(['c']);
  });

  it('does not count a key no file can have, or a flush of nothing, as a failure of the files', async () => {
    const { cache, health } = await setup();
    await expect(cache.store('netapi/session', '../x', 1)).rejects.toThrow(/plain file name/);
    expect(await cache.flush('netapi/session', 'missing')).toBe(false);
    expect(await cache.flush('netapi/session', '../x')).toBe(false);
    expect(health.status()).toEqual({ up: true, failures: 0 });
  });
});
