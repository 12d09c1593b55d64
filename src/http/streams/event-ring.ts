import { randomBytes } from 'node:crypto';
import type { SaltEvent } from '../../salt/event-frame.js';
import { NO_STAMP, stampDigits, stampOfEventId } from '../../salt/event-id.js';
import { DEFAULT_EVENTS_REPLAY_MAX_BYTES } from '../../config/rest-settings.js';
import { eventJson } from './sse.js';

/**
 * The replay ring of resumable `/events` streams (`events_ids`): the newest bus events, in bus
 * order: at most `maxEvents`, none older than `maxSeconds`, and at most `maxBytes` of them
 * serialised (the JSON a stream writes for each, which the process holds as long as the event). The
 * oldest go first. An event larger than the whole byte budget is not kept at all (only its place
 * is, so that a client resuming across it is told it missed it). A client that reconnects with
 * `Last-Event-ID` gets what it missed from here.
 *
 * An event's id is the one the bus gave it (`<stamp>-<digest>`, salt/event-id.ts): every salt-apid
 * process on the same master names it alike, so a client may resume on another worker or instance.
 * An id this ring does not hold (older than what it keeps, or from an event this process never
 * read) is a gap: what it keeps from after the id's stamp is replayed behind the gap marker. An
 * event the bus did not name (no bus, in tests) gets `<boot>-<sequence>`, known to this ring only.
 */

/** Evicted ids remembered at least, whatever `maxEvents` (about 100 bytes each). */
const FORGOTTEN_MIN = 1024;

export interface ReplayLimits {
  maxEvents: number;
  maxSeconds: number;
  /** Serialised bytes kept in all (default {@link DEFAULT_EVENTS_REPLAY_MAX_BYTES}). */
  maxBytes?: number;
}

/** Why an event left the ring: too many, too old, too many bytes, or too large to be kept at all. */
export type EvictionReason = 'count' | 'age' | 'bytes' | 'too_large';

export interface ReplayStats {
  /** Events held now. */
  events: number;
  /** Their serialised bytes. */
  bytes: number;
  /** Events evicted since start, by reason. */
  evicted: Record<EvictionReason, number>;
}

interface Entry {
  seq: number;
  id: string;
  /** The event's `_stamp` as digits (event-id.ts), '' without one. */
  stamp: string;
  at: number;
  /** Undefined: the event was too large to keep; its place says it is missing. */
  event: SaltEvent | undefined;
  bytes: number;
}

export type Resume =
  /** Everything after the id is still here: replay `events`. */
  | { kind: 'complete'; events: SaltEvent[] }
  /** Some events after the id are gone (or the id is from another run): say so, then replay `events`. */
  | { kind: 'gap'; missedFrom: string | null; missedTo: string | null; events: SaltEvent[] };

/** What salt-api writes for an event: the measure of what the ring holds. */
export function serializedSize(event: SaltEvent): number {
  return Buffer.byteLength(eventJson(event), 'utf8');
}

/** The event's `_stamp` as digits: from its id where it has one (no decoding), else from its data. */
function stampOf(event: SaltEvent): string {
  const fromId = event.id === undefined ? undefined : stampOfEventId(event.id);
  if (fromId !== undefined) return fromId === NO_STAMP ? '' : fromId;
  return stampDigits(event.data) ?? '';
}

export class EventRing {
  readonly boot = randomBytes(4).toString('hex');
  private readonly entries: Array<Entry | undefined> = [];
  private head = 0;
  private nextSeq = 1;
  private held = 0;
  private heldBytes = 0;
  private readonly evicted: Record<EvictionReason, number> = { count: 0, age: 0, bytes: 0, too_large: 0 };
  private readonly entryOf = new WeakMap<SaltEvent, Entry>();
  /** The sequence number of every id held. */
  private readonly seqOfId = new Map<string, number>();
  /**
   * The sequence numbers of the ids evicted last (as many as the ring holds events, at least
   * {@link FORGOTTEN_MIN}): a resume from one of them says exactly what is gone.
   */
  private readonly forgotten = new Map<string, number>();
  private readonly maxBytes: number;

  constructor(
    private readonly limits: ReplayLimits,
    private readonly now: () => number = () => Date.now(),
    private readonly sizeOf: (event: SaltEvent) => number = serializedSize,
  ) {
    this.maxBytes = limits.maxBytes ?? DEFAULT_EVENTS_REPLAY_MAX_BYTES;
  }

  /** Numbers and keeps one event; called for every bus event, in order. */
  record(event: SaltEvent): void {
    const seq = this.nextSeq++;
    // The same bytes published twice are one id; the second gets its place in this ring appended.
    const named = event.id ?? `${this.boot}-${seq}`;
    const id = this.seqOfId.has(named) ? `${named}.${seq}` : named;
    const stamp = stampOf(event);
    const bytes = this.sizeOf(event);
    const entry: Entry = { seq, id, stamp, at: this.now(), event: undefined, bytes: 0 };
    this.entryOf.set(event, entry);
    this.seqOfId.set(id, seq);
    if (bytes > this.maxBytes) {
      this.evicted.too_large++;
    } else {
      entry.event = event;
      entry.bytes = bytes;
      this.held++;
      this.heldBytes += bytes;
    }
    this.entries.push(entry);
    this.trim();
  }

  /** The id of a recorded event. */
  idOf(event: SaltEvent): string | undefined {
    return this.entryOf.get(event)?.id;
  }

  /** The sequence number of a recorded event (for skipping what a replay already sent). */
  seqOf(event: SaltEvent): number | undefined {
    return this.entryOf.get(event)?.seq;
  }

  /** What a client that last saw `lastId` missed, filtered by `wanted`. */
  resume(lastId: string, wanted: (tag: string) => boolean): Resume {
    this.trim();
    const kept = this.kept();
    const pick = (entries: Entry[]): SaltEvent[] =>
      entries.flatMap((entry) => (entry.event !== undefined && wanted(entry.event.tag) ? [entry.event] : []));
    const last = lastId.trim();
    const seq = this.seqOfId.get(last) ?? this.forgotten.get(last) ?? this.ownSeq(last);
    const oldest = kept[0]?.seq ?? this.nextSeq;
    const idAt = (n: number): string | null => this.idBySeq(kept, n);
    /** The newest event after `after` that cannot be replayed: evicted, or never kept. */
    const lastMissing = (after: number): number | undefined => {
      for (let i = kept.length - 1; i >= 0 && (kept[i]?.seq ?? 0) > after; i--) {
        if (kept[i]?.event === undefined) return kept[i]?.seq;
      }
      return oldest - 1 > after ? oldest - 1 : undefined;
    };
    if (seq === undefined) {
      // An id this ring does not hold: what it kept after the id's stamp, behind a gap.
      const stamp = stampOfEventId(last);
      const missedTo = lastMissing(0);
      return {
        kind: 'gap',
        missedFrom: null,
        missedTo: missedTo === undefined ? null : idAt(missedTo),
        events: pick(stamp === undefined ? kept : kept.filter((entry) => entry.stamp > stamp)),
      };
    }
    const after = kept.filter((entry) => entry.seq > seq);
    const firstMissing = seq + 1 < oldest ? seq + 1 : after.find((entry) => entry.event === undefined)?.seq;
    if (firstMissing === undefined) return { kind: 'complete', events: pick(after) };
    return {
      kind: 'gap',
      missedFrom: idAt(firstMissing),
      missedTo: idAt(lastMissing(seq) ?? firstMissing),
      events: pick(after),
    };
  }

  /** The sequence number in an id this ring made up (`<boot>-<sequence>`) for an event it has seen. */
  private ownSeq(id: string): number | undefined {
    const match = /^([0-9a-f]{8})-(\d{1,15})$/.exec(id);
    const seq = match === null ? NaN : Number(match[2]);
    return match?.[1] === this.boot && Number.isSafeInteger(seq) && seq < this.nextSeq ? seq : undefined;
  }

  /**
   * The id of the event with sequence number `seq`: held, or (gone) known only by its place, which
   * is this ring's own `<boot>-<sequence>`: a client shown it can tell only that it is missing.
   */
  private idBySeq(kept: Entry[], seq: number): string {
    const first = kept[0]?.seq;
    const entry = first === undefined ? undefined : kept[seq - first];
    return entry?.seq === seq ? entry.id : `${this.boot}-${seq}`;
  }

  /** Events held now. */
  get size(): number {
    return this.held;
  }

  stats(): ReplayStats {
    return { events: this.held, bytes: this.heldBytes, evicted: { ...this.evicted } };
  }

  private kept(): Entry[] {
    return this.entries.slice(this.head).filter((entry): entry is Entry => entry !== undefined);
  }

  private forget(entry: Entry): void {
    this.seqOfId.delete(entry.id);
    this.forgotten.set(entry.id, entry.seq);
    if (this.forgotten.size > Math.max(this.limits.maxEvents, FORGOTTEN_MIN)) {
      for (const id of this.forgotten.keys()) {
        this.forgotten.delete(id);
        break;
      }
    }
  }

  /** Why the oldest entry must go now, if it must. */
  private evictionReason(entry: Entry, oldestAllowed: number): EvictionReason | undefined {
    if (entry.at < oldestAllowed) return 'age';
    if (this.entries.length - this.head > this.limits.maxEvents) return 'count';
    if (this.heldBytes > this.maxBytes) return 'bytes';
    return undefined;
  }

  private trim(): void {
    const oldestAllowed = this.now() - this.limits.maxSeconds * 1000;
    while (this.head < this.entries.length) {
      const entry = this.entries[this.head];
      if (entry !== undefined) {
        const reason = this.evictionReason(entry, oldestAllowed);
        if (reason === undefined) break;
        // The place of an event too large to keep goes uncounted: it was counted when it came.
        this.forget(entry);
        if (entry.event !== undefined) {
          this.evicted[reason]++;
          this.held--;
          this.heldBytes -= entry.bytes;
        }
      }
      this.entries[this.head++] = undefined;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
  }
}
