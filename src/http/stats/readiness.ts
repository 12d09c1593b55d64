import type { CacheHealth } from '../../salt/cache/salt-cache.js';
import type { MasterHealth } from '../../salt/master.js';
import { errorMessage } from '../../error-fields.js';

/**
 * `/readyz`'s question, cheap enough for a probe every second: is the event bus connected (the
 * streams' own reader of it too), and does the master answer requests? An answer to any request
 * within `freshMs` says yes; otherwise one `ping` round trip decides, shared by the probes that
 * arrive meanwhile, and a failed ping is believed for `retryMs` before the next one. With
 * `session_store: cache` on Redis, the cache must answer too (its driver's circuit: down at once
 * while Redis is known down, else a recent answer or one ping). The reason names what is
 * missing, never an address.
 */

/** `/readyz`'s reason while the session cache does not answer (the details go to the log). */
export const SESSION_CACHE_DOWN = "the session store's cache does not answer";

export type ReadinessVerdict = { ready: true } | { ready: false; reason: string };

export interface ReadinessOptions {
  freshMs?: number;
  retryMs?: number;
  pingTimeoutMs?: number;
  now?: () => number;
  /** The session store's cache server (`session_store: cache` with Redis), if there is one. */
  cache?: CacheHealth | undefined;
  /** Whether the event streams' own reader of the bus is connected (true where they have none). */
  streams?: () => boolean;
}

/** `/readyz`'s reason while the streams' reader of the bus is not connected. */
export const STREAM_READER_DOWN = "the event streams' reader is not connected to the master's event bus";

export class Readiness {
  private readonly freshMs: number;
  private readonly retryMs: number;
  private readonly pingTimeoutMs: number;
  private readonly now: () => number;
  private readonly cache: CacheHealth | undefined;
  private readonly streams: () => boolean;
  private probe: Promise<ReadinessVerdict> | undefined;
  private failed: { at: number; verdict: ReadinessVerdict } | undefined;

  constructor(
    private readonly master: MasterHealth | undefined,
    options: ReadinessOptions = {},
  ) {
    this.freshMs = options.freshMs ?? 10_000;
    this.retryMs = options.retryMs ?? 2_000;
    this.pingTimeoutMs = options.pingTimeoutMs ?? 2_000;
    this.now = options.now ?? (() => performance.now());
    this.cache = options.cache;
    this.streams = options.streams ?? (() => true);
  }

  async check(): Promise<ReadinessVerdict> {
    const verdict = await this.checkMaster();
    if (verdict.ready && !this.streams()) return { ready: false, reason: STREAM_READER_DOWN };
    if (!verdict.ready || this.cache === undefined) return verdict;
    const cache = await this.cache.check();
    return cache.up ? verdict : { ready: false, reason: `${SESSION_CACHE_DOWN} (${this.cache.driver})` };
  }

  private async checkMaster(): Promise<ReadinessVerdict> {
    const master = this.master;
    if (master === undefined) return { ready: false, reason: 'no master connection' };
    if (!master.busConnected()) return { ready: false, reason: "the master's event bus is not connected" };
    const now = this.now();
    const lastReply = master.lastReplyAt();
    if (lastReply !== undefined && now - lastReply < this.freshMs) return { ready: true };
    if (this.failed !== undefined && now - this.failed.at < this.retryMs) return this.failed.verdict;
    this.probe ??= this.ping(master).finally(() => {
      this.probe = undefined;
    });
    return this.probe;
  }

  private async ping(master: MasterHealth): Promise<ReadinessVerdict> {
    try {
      await master.ping(this.pingTimeoutMs);
      this.failed = undefined;
      return { ready: true };
    } catch (error) {
      const verdict: ReadinessVerdict = {
        ready: false,
        reason: `the master's request port does not answer (${errorMessage(error)})`,
      };
      this.failed = { at: this.now(), verdict };
      return verdict;
    }
  }
}
