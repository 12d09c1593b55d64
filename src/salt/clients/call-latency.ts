import { createHash } from 'node:crypto';
import { pack } from '../codec/pack.js';
import type { PublishLoad } from '../clear-commands.js';

/**
 * How long each call took at best lately, for the earlier of the two signs that the master is
 * behind (admission.ts, docs/decisions/0015): a call that answered within a second when the
 * master kept up, still out four times as long, and at least 2 s, later. That comes seconds before
 * the minions' returns time out (`return_retry_timer`, 5 s at least) and are sent again, which is
 * the other sign. A call is the same call when its target, target type, function and arguments are
 * the same; a call that was never fast gives no sign (a `state.apply` of minutes, a `cmd.run` of a
 * long script, a call to a minion that is down), so job length alone never counts.
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
  fastMs: 1_000,
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
