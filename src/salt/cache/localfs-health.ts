import { randomBytes } from 'node:crypto';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CacheVerdict, CircuitStatus } from './circuit.js';
import type { CacheHealth } from './salt-cache.js';
import { errorReason } from '../../error-fields.js';

/**
 * Whether the session files can be written (`session_store: cache` on the localfs driver). There
 * is no server to ping: the driver reports each file-system failure here, which makes the cache
 * down (`/readyz` 503, `saltapid_session_cache_up{driver="localfs"}` 0) until a write succeeds
 * again, whether a request's or the probe's. A readiness check while down tries one private
 * file in each bank the driver has written to, at most once per `retryMs`.
 */

export class LocalfsHealth implements CacheHealth {
  readonly driver = 'localfs';
  /** Why the files cannot be used; undefined while they can. */
  private down: string | undefined;
  private failures = 0;
  private lastProbeAt = -Infinity;
  private probing: Promise<CacheVerdict> | undefined;
  /** The bank folders written to: code constants (`netapi/session`), never request input. */
  private readonly banks = new Set<string>();

  constructor(
    private readonly onChange: (up: boolean, reason: string | undefined) => void = () => undefined,
    private readonly retryMs = 1_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A bank folder the driver uses, to be probed while down. */
  uses(bankDir: string): void {
    this.banks.add(bankDir);
  }

  /** An operation on the files succeeded. */
  succeeded(): void {
    if (this.down === undefined) return;
    this.down = undefined;
    this.onChange(true, undefined);
  }

  /** An operation on the files failed with `error` (a file-system error). */
  failed(error: unknown): void {
    this.failures++;
    const wasUp = this.down === undefined;
    this.down = errorReason(error);
    if (wasUp) this.onChange(false, this.down);
  }

  async check(): Promise<CacheVerdict> {
    if (this.down === undefined) return { up: true };
    if (this.now() - this.lastProbeAt < this.retryMs) return { up: false, reason: this.down };
    this.probing ??= this.probe().finally(() => {
      this.probing = undefined;
    });
    return this.probing;
  }

  status(): CircuitStatus {
    return { up: this.down === undefined, failures: this.failures };
  }

  private async probe(): Promise<CacheVerdict> {
    this.lastProbeAt = this.now();
    try {
      for (const dir of this.banks) {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        const file = join(dir, `tmp${randomBytes(6).toString('hex')}`);
        await (await open(file, 'wx', 0o600)).close();
        await rm(file);
      }
    } catch (error) {
      this.failed(error);
      return { up: false, reason: this.down ?? errorReason(error) };
    }
    this.succeeded();
    return { up: true };
  }
}
