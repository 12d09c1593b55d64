import { createHash } from 'node:crypto';
import type { SaltMap } from './codec/values.js';
import type { EventIdentifier } from './event-frame.js';

/**
 * Event ids that every reader of one master gives the same event: `<stamp>-<digest>`, where the
 * stamp is the event's own `_stamp` (the time its sender gave it, as 20 digits: date, time and
 * microseconds, UTC) and the digest the first 96 bits of SHA-256 over the master's identity and the
 * event's bytes exactly as the master published them (tag and data). Two salt-apid processes
 * attached to the same master (workers of one instance, or instances behind a balancer) read the
 * same bytes, so they name each event alike; a client resuming with `Last-Event-ID` on any of them
 * is understood. The stamp makes ids sort by the sender's time and tells a reader roughly where an
 * id it no longer holds falls. An event without a `_stamp` gets twenty zeros.
 */

const DIGEST_HEX = 24;
/** The stamp part of the id of an event without a `_stamp`. */
export const NO_STAMP = '0'.repeat(20);
const STAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?/;
const EVENT_ID = /^(\d{20})-([0-9a-f]{24})$/;

/** `_stamp` as 20 digits (YYYYMMDDhhmmss + microseconds), or undefined when the event has none. */
export function stampDigits(data: SaltMap): string | undefined {
  const stamp = data['_stamp'];
  if (typeof stamp !== 'string') return undefined;
  const m = STAMP.exec(stamp);
  if (m === null) return undefined;
  return `${m[1]}${m[2]}${m[3]}${m[4]}${m[5]}${m[6]}${(m[7] ?? '').padEnd(6, '0')}`;
}

/**
 * Names events read from one master. `master` is what identifies it (its public key where
 * salt-apid can read it, else the address of its publisher); `body` is the event's bytes as
 * published (`tag\n\n` + msgpack data).
 */
export function eventIdentifier(master: string | Uint8Array): EventIdentifier {
  const seed = createHash('sha256').update(master).digest();
  return (body, data) => {
    const digest = createHash('sha256').update(seed).update(body).digest('hex').slice(0, DIGEST_HEX);
    return `${stampDigits(data) ?? NO_STAMP}-${digest}`;
  };
}

/** The stamp part of an event id (20 digits), or undefined when `id` is not one. */
export function stampOfEventId(id: string): string | undefined {
  return EVENT_ID.exec(id)?.[1];
}
