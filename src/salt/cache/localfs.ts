import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import { pack } from '../codec/pack.js';
import { unpack } from '../codec/unpack.js';
import type { SaltValue } from '../codec/values.js';
import { LocalfsHealth } from './localfs-health.js';
import { unwrapExpiry, wrapExpiry, type SaltCache } from './salt-cache.js';
import { errorCode } from '../../error-fields.js';

/**
 * Salt's `localfs` cache driver (`salt/cache/localfs.py`) behind `salt.cache.Cache`, byte for
 * byte: a bank is a folder under the master's `cachedir`, a key the file `<key>.p` holding
 * `salt.payload.dumps` of the value (msgpack), written to a temporary file in the same folder and
 * renamed over the old one. A value stored with `expires` is wrapped in `Cache.store`'s envelope
 * `{"data": value, "_expires": <epoch seconds>}` and reads as missing once that time has passed.
 * This is where salt-api's `session_store: cache` keeps its sessions (bank `netapi/session`).
 * A write or removal the file system refuses (a full disk, a folder made unwritable) fails the
 * operation, as Salt's driver raises, and makes {@link health} down until one succeeds again.
 */

/** Cache files are small; a bigger one is not one of ours. */
const MAX_FILE_BYTES = 1024 * 1024;
/** Keys name files: no separators, no dot-names, nothing a path could climb with. */
const SAFE_KEY = /^[A-Za-z0-9_.-]{1,200}$/;

/** A file-system error (it has a `code`): what says the files cannot be used, unlike a bad key. */
const isFsError = (error: unknown): boolean => errorCode(error) !== undefined;

export class LocalfsCache implements SaltCache {
  constructor(
    private readonly cachedir: string,
    private readonly now: () => number = Date.now,
    readonly health: LocalfsHealth = new LocalfsHealth(),
  ) {}

  /** Runs a file operation, telling {@link health} how it went. */
  private async onFiles<T>(operation: () => Promise<T>): Promise<T> {
    try {
      const result = await operation();
      this.health.succeeded();
      return result;
    } catch (error) {
      if (isFsError(error)) this.health.failed(error);
      throw error;
    }
  }

  private bankDir(bank: string): string {
    const path = normalize(bank);
    if (path.startsWith('..') || path.startsWith('/')) throw new Error(`bank ${bank} is outside the cache`);
    return join(this.cachedir, path);
  }

  private keyFile(bank: string, key: string): string {
    if (!SAFE_KEY.test(key) || key === '.' || key === '..') throw new Error('a cache key must be a plain file name');
    return join(this.bankDir(bank), `${key}.p`);
  }

  /** `Cache.store(bank, key, data, expires)`. */
  async store(bank: string, key: string, data: SaltValue, expiresSeconds?: number): Promise<void> {
    const file = this.keyFile(bank, key);
    const dir = this.bankDir(bank);
    this.health.uses(dir);
    const value = wrapExpiry(data, expiresSeconds, this.now);
    await this.onFiles(async () => {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      // mkstemp's file: private (0600), in the same folder so that the rename is atomic.
      const temp = join(dir, `tmp${randomBytes(6).toString('hex')}`);
      const handle = await open(temp, 'wx', 0o600);
      try {
        try {
          // salt.payload.dumps: msgpack with the bin type (use_bin_type=True).
          await handle.writeFile(pack(value, { useBinType: true }));
        } finally {
          await handle.close();
        }
        await rename(temp, file);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
    });
  }

  /** `Cache.fetch`: the value, or undefined when missing, unreadable or expired. */
  async fetch(bank: string, key: string): Promise<SaltValue | undefined> {
    let bytes: Buffer;
    try {
      const file = this.keyFile(bank, key);
      if ((await stat(file)).size > MAX_FILE_BYTES) return undefined;
      bytes = await readFile(file);
    } catch {
      return undefined;
    }
    let value: SaltValue;
    try {
      value = unpack(bytes);
    } catch {
      return undefined;
    }
    return unwrapExpiry(value, this.now);
  }

  /** `Cache.flush(bank, key)`: true when there was something to remove. */
  async flush(bank: string, key: string): Promise<boolean> {
    let file: string;
    try {
      file = this.keyFile(bank, key);
    } catch {
      // No file can have that name: nothing to remove.
      return false;
    }
    return this.onFiles(async () => {
      try {
        await rm(file);
        return true;
      } catch (error) {
        // Nothing to remove is not a failure of the files.
        if (errorCode(error) === 'ENOENT') return false;
        throw error;
      }
    });
  }

  /** `Cache.list(bank)`: the keys of a bank. */
  async list(bank: string): Promise<string[]> {
    try {
      const names = await readdir(this.bankDir(bank));
      return names.filter((name) => name.endsWith('.p')).map((name) => name.slice(0, -2));
    } catch {
      return [];
    }
  }
}
