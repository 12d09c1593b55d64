import { isSaltMap } from '../../codec/values.js';
import type { SaltEvent } from '../../event-frame.js';
import { dropOldest } from './oldest-first.js';

/**
 * Notices a minion's return that the master puts on the bus a second time: the minion gave up
 * waiting for the master to take it (`return_retry_timer`) and sent it again, so the master is
 * behind. The first sign of that on a real master, before any publish is slow (admission.ts).
 * Any job's returns count, not only salt-apid's: the master is behind for everyone.
 */

/** Returns remembered to recognise a second copy, at most... */
const REMEMBERED = 20_000;
/**
 * ...and for at most this long (ms): a minion sends a copy after its `return_retry_timer` (5–10 s
 * with Salt's defaults, up to `return_retry_tries` times), so two minutes see every copy, and the
 * memory stops growing within two minutes of a steady load rather than when the count is reached.
 */
const REMEMBERED_MS = 120_000;

export class ReturnEcho {
  /** `<jid>/<minion>` → when its first copy arrived (performance.now()); oldest first. */
  private readonly seen = new Map<string, number>();

  /** `onEcho(firstSeenAt)` for each second (or later) copy of a return. */
  constructor(private readonly onEcho: (firstSeenAt: number) => void) {}

  /** For `EventBus.tap`: every event the master publishes. */
  readonly onEvent = (event: SaltEvent): void => {
    const { tag } = event;
    if (!tag.startsWith('salt/job/')) return;
    const ret = tag.indexOf('/ret/', 9);
    if (ret === -1 || !isSaltMap(event.data) || !Object.hasOwn(event.data, 'return')) return;
    const key = tag.slice(9);
    const first = this.seen.get(key);
    if (first !== undefined) {
      this.onEcho(first);
      return;
    }
    const now = performance.now();
    this.seen.set(key, now);
    dropOldest(this.seen, now - REMEMBERED_MS, REMEMBERED);
  };
}
