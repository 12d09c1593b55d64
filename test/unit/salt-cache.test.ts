import { mkdtemp, readdir, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pack } from '../../src/salt/codec/pack.js';
import { unpack } from '../../src/salt/codec/unpack.js';
import { Float64, SaltExt } from '../../src/salt/codec/values.js';
import { LocalfsCache } from '../../src/salt/cache/localfs.js';

/**
 * Salt's localfs cache, byte for byte with what a real master's salt-api (3008 dev,
 * `session_store: cache`) wrote for a session: test/fixtures/salt-cache/session-3008.p (its Salt
 * token replaced by a dummy of the same length).
 */

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function cachedir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'salt-cache-'));
  dirs.push(dir);
  return dir;
}

const FIXTURE = new URL('../fixtures/salt-cache/session-3008.p', import.meta.url);
const TOKEN = '0123456789abcdef'.repeat(4);
const EXPIRES = 0x6b07eddc;
/** `(token["expire"] - token["start"]) / 60`: 720 minutes, give or take the clock's float error. */
const TIMEOUT = 720.0000000039737;

describe('the session salt-api stores in the cache', () => {
  it('decodes as the envelope, the CherryPy session data and its expiry', async () => {
    const value = unpack(await readFile(FIXTURE));
    expect(value).toEqual({
      data: { data: { token: TOKEN, timeout: TIMEOUT }, expiration: '20261126T08:29:17.714499' },
      _expires: EXPIRES,
    });
  });

  it('is written back byte for byte: str8 keys, float64 timeout, ext 78 datetime, uint32 expiry', async () => {
    const bytes = pack(
      {
        data: {
          data: { token: TOKEN, timeout: new Float64(TIMEOUT) },
          expiration: new SaltExt(78, Buffer.from('20261126T08:29:17.714499', 'ascii')),
        },
        _expires: EXPIRES,
      },
      { useBinType: true },
    );
    expect(bytes.equals(await readFile(FIXTURE))).toBe(true);
  });

  it('writes datetimes as Python does: naive local time with microseconds', () => {
    const at = new Date(2026, 10, 26, 8, 29, 17, 714);
    expect(Buffer.from(SaltExt.datetime(at).data).toString('ascii')).toBe('20261126T08:29:17.714000');
  });
});

describe('LocalfsCache', () => {
  it('reads what salt-api wrote, and nothing once its _expires has passed', async () => {
    const dir = await cachedir();
    await mkdir(join(dir, 'netapi', 'session'), { recursive: true });
    const id = 'b4e623b04ae44b3fbf689b0666a7ea1a77b3bd6e';
    await writeFile(join(dir, 'netapi', 'session', `${id}.p`), await readFile(FIXTURE));
    const before = new LocalfsCache(dir, () => (EXPIRES - 10) * 1000);
    expect(await before.fetch('netapi/session', id)).toEqual({
      data: { token: TOKEN, timeout: TIMEOUT },
      expiration: '20261126T08:29:17.714499',
    });
    expect(await before.list('netapi/session')).toEqual([id]);
    const after = new LocalfsCache(dir, () => EXPIRES * 1000);
    expect(await after.fetch('netapi/session', id)).toBeUndefined();
  });

  it('stores atomically in a private file, with the expiry envelope, and flushes', async () => {
    const dir = await cachedir();
    const cache = new LocalfsCache(dir, () => 1_000_000_000_000);
    await cache.store('netapi/session', 'abc', { token: 'x' }, 36_000);
    const file = join(dir, 'netapi', 'session', 'abc.p');
    expect(unpack(await readFile(file))).toEqual({ data: { token: 'x' }, _expires: 1_000_036_000 });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(join(dir, 'netapi', 'session'))).toEqual(['abc.p']);
    expect(await cache.fetch('netapi/session', 'abc')).toEqual({ token: 'x' });
    expect(await cache.flush('netapi/session', 'abc')).toBe(true);
    expect(await cache.flush('netapi/session', 'abc')).toBe(false);
    expect(await cache.fetch('netapi/session', 'abc')).toBeUndefined();
  });

  it('refuses keys and banks that would leave the cache', async () => {
    const cache = new LocalfsCache(await cachedir());
    for (const key of ['../x', 'a/b', '..', '', 'a\0b']) {
      await expect(cache.store('netapi/session', key, 1)).rejects.toThrow(/plain file name/);
      expect(await cache.fetch('netapi/session', key)).toBeUndefined();
    }
    await expect(cache.store('../../etc', 'x', 1)).rejects.toThrow(/outside the cache/);
  });
});
