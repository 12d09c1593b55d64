import { createHash } from 'node:crypto';
import { pack } from '../../codec/pack.js';
import type { PublishLoad } from '../../clear-commands.js';
import type { CallSpeed } from './fast-window.js';

/**
 * How long each call took the last time its time was its own (admission.ts, docs/decisions/0027). A
 * call is the same call when its target, target type, function and arguments are the same, and
 * its time runs from its publish to its last return (not to its end: a minion that is down makes
 * a call wait, not its returns late). A call whose last time was at most 2 s is fast, and jobs of
 * fast calls go out through the fast window (fast-window.ts).
 *
 * A time counts as the call's own when it was at most 2 s, or when its job was seen running on
 * its minions, the master answering in time (a probe): a job longer than that for want of the
 * master (its returns waiting in the master's queue) says nothing of the call, and leaves its
 * record as it was. So a call whose time varies between runs is fast or slow by its latest run,
 * and how long a job takes is never a sign that the master is behind.
 */

export interface CallLatencyOptions {
  /** Calls whose last time was at most this are fast (ms). */
  fastMs: number;
  /** A time older than this is forgotten: the call is not measured any more (ms). */
  memoryMs: number;
  /** Calls remembered; the one measured longest ago is forgotten first. */
  maxCalls: number;
}

export const DEFAULT_CALL_LATENCY: CallLatencyOptions = {
  fastMs: 2_000,
  memoryMs: 300_000,
  maxCalls: 1_000,
};

interface Measured {
  ms: number;
  at: number;
}

/** The identity of a call: a digest of what it runs where, not of who asked or how. */
export function callKey(load: Pick<PublishLoad, 'tgt' | 'tgt_type' | 'fun' | 'arg'>): string {
  const encoded = pack([load.tgt, load.tgt_type, load.fun, load.arg], { useBinType: true });
  return createHash('sha256').update(encoded).digest('base64');
}

export class CallLatencies {
  private readonly last = new Map<string, Measured>();

  constructor(private readonly options: CallLatencyOptions = DEFAULT_CALL_LATENCY) {}

  /** Fast: the call's last time of its own was at most `fastMs`. */
  speed(key: string, now = performance.now()): CallSpeed {
    const last = this.last.get(key);
    if (last === undefined || now - last.at > this.options.memoryMs) return 'unmeasured';
    return last.ms <= this.options.fastMs ? 'fast' : 'slow';
  }

  /**
   * A job of this call took `ms` from its publish to its last return; `seenOnMinions`: a probe saw
   * its minions run it. A longer time not seen so is not the call's own and is not recorded.
   */
  record(key: string, ms: number, seenOnMinions: boolean, now = performance.now()): void {
    if (ms > this.options.fastMs && !seenOnMinions) return;
    this.last.delete(key);
    this.last.set(key, { ms, at: now });
    if (this.last.size > this.options.maxCalls) {
      const oldest = this.last.keys().next();
      if (oldest.done !== true) this.last.delete(oldest.value);
    }
  }
}
