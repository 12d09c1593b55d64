import { createHash } from 'node:crypto';
import { pack } from '../codec/pack.js';
import type { PublishLoad } from '../clear-commands.js';
import type { CallSpeed } from './fast-window.js';

/**
 * How long each call took at best lately (admission.ts, docs/decisions/0015). A call is the same
 * call when its target, target type, function and arguments are the same, and its time runs from
 * its publish to its last return (not to its end: a minion that is down makes a call wait, not
 * its returns late). Two uses:
 * - a call that took at most 2 s at best is fast, and jobs of fast calls go out through the fast
 *   window (fast-window.ts);
 * - a return of a fast call that comes more than four times its best time, and at least 2 s,
 *   after its publish is a sign that the master is behind. With a `test.ping` best of 150 ms, that
 *   comes seconds before the minions' returns time out (`return_retry_timer`, 5 s at least) and
 *   are sent again, the other sign.
 * A call that was never fast (a `state.apply` of minutes, a `cmd.run` of a long script) neither
 * waits in the window nor gives the sign, so the length of a job alone never counts.
 */

export interface CallLatencyOptions {
  /** Only calls that took at most this long at best give the sign (ms). */
  fastMs: number;
  /** A job is late past this many times its call's best time... */
  factor: number;
  /** ...and never before this (ms). */
  floorMs: number;
  /** A best time older than this gives way to the next time measured, whatever it is (ms). */
  memoryMs: number;
  /** Calls remembered; the one whose best time is oldest is forgotten first. */
  maxCalls: number;
}

export const DEFAULT_CALL_LATENCY: CallLatencyOptions = {
  fastMs: 2_000,
  factor: 4,
  floorMs: 2_000,
  memoryMs: 300_000,
  maxCalls: 1_000,
};

interface Best {
  ms: number;
  at: number;
}

/** The identity of a call: a digest of what it runs where, not of who asked or how. */
export function callKey(load: Pick<PublishLoad, 'tgt' | 'tgt_type' | 'fun' | 'arg'>): string {
  const encoded = pack([load.tgt, load.tgt_type, load.fun, load.arg], { useBinType: true });
  return createHash('sha256').update(encoded).digest('base64');
}

export class CallLatencies {
  private readonly best = new Map<string, Best>();

  constructor(private readonly options: CallLatencyOptions = DEFAULT_CALL_LATENCY) {}

  /** Fast: the call took at most `fastMs` at best lately. */
  speed(key: string): CallSpeed {
    const best = this.best.get(key);
    if (best === undefined) return 'unmeasured';
    return best.ms <= this.options.fastMs ? 'fast' : 'slow';
  }

  /** After how long a job of this call counts as late; Infinity for a call never fast lately. */
  lateAfterMs(key: string): number {
    const best = this.best.get(key);
    if (best === undefined || best.ms > this.options.fastMs) return Infinity;
    return Math.max(this.options.floorMs, this.options.factor * best.ms);
  }

  /** A job of this call took `ms` from its publish to its end. */
  record(key: string, ms: number, now = performance.now()): void {
    const best = this.best.get(key);
    if (best !== undefined && ms > best.ms && now - best.at <= this.options.memoryMs) return;
    this.best.delete(key);
    this.best.set(key, { ms, at: now });
    if (this.best.size > this.options.maxCalls) {
      const oldest = this.best.keys().next();
      if (oldest.done !== true) this.best.delete(oldest.value);
    }
  }
}
