import { randomBytes } from 'node:crypto';
import type { SaltEvent } from '../../salt/event-frame.js';
import { DEFAULT_EVENTS_REPLAY_MAX_BYTES } from '../../config/rest-settings.js';
import { eventJson } from './sse.js';

/**
 * The replay ring of resumable `/events` streams (`events_ids`): every bus event gets an id,
 * `<boot>-<sequence>`, in bus order, and the newest ones are kept: at most `maxEvents`, none older
 * than `maxSeconds`, and at most `maxBytes` of them serialised (the JSON a stream writes for each,
 * which the process holds as long as the event). The oldest go first. An event larger than the whole
 * byte budget is not kept at all (only its place is, so that a client resuming across it is told it
 * missed it). A client that reconnects with `Last-Event-ID` gets what it missed from here. The boot
 * part changes at every start, so an id from before a restart is known to be stale.
 */

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

export class EventRing {
  readonly boot = randomBytes(4).toString('hex');
  private readonly entries: Array<Entry | undefined> = [];
  private head = 0;
  private nextSeq = 1;
  private held = 0;
  private heldBytes = 0;
  private readonly evicted: Record<EvictionReason, number> = { count: 0, age: 0, bytes: 0, too_large: 0 };
  private readonly ids = new WeakMap<SaltEvent, number>();
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
    this.ids.set(event, seq);
    const bytes = this.sizeOf(event);
    if (bytes > this.maxBytes) {
      this.evicted.too_large++;
      this.entries.push({ seq, at: this.now(), event: undefined, bytes: 0 });
    } else {
      this.entries.push({ seq, at: this.now(), event, bytes });
      this.held++;
      this.heldBytes += bytes;
    }
    this.trim();
  }

  /** The id of a recorded event. */
  idOf(event: SaltEvent): string | undefined {
    const seq = this.ids.get(event);
    return seq === undefined ? undefined : `${this.boot}-${seq}`;
  }

  /** The sequence number of a recorded event (for skipping what a replay already sent). */
  seqOf(event: SaltEvent): number | undefined {
    return this.ids.get(event);
  }

  /** What a client that last saw `lastId` missed, filtered by `wanted`. */
  resume(lastId: string, wanted: (tag: string) => boolean): Resume {
    this.trim();
    const kept = this.kept();
    const pick = (entries: Entry[]): SaltEvent[] =>
      entries.flatMap((entry) => (entry.event !== undefined && wanted(entry.event.tag) ? [entry.event] : []));
    const match = /^([0-9a-f]{8})-(\d{1,15})$/.exec(lastId.trim());
    const seq = match === null ? NaN : Number(match[2]);
    const oldest = kept[0]?.seq ?? this.nextSeq;
    const id = (n: number): string => `${this.boot}-${n}`;
    /** The newest event after `after` that cannot be replayed: evicted, or never kept. */
    const lastMissing = (after: number): number | undefined => {
      for (let i = kept.length - 1; i >= 0 && (kept[i]?.seq ?? 0) > after; i--) {
        if (kept[i]?.event === undefined) return kept[i]?.seq;
      }
      return oldest - 1 > after ? oldest - 1 : undefined;
    };
    if (match?.[1] !== this.boot || !Number.isSafeInteger(seq) || seq >= this.nextSeq) {
      // Another run's id (or none we gave): everything since is unknown; replay what is kept.
      const missedTo = lastMissing(0);
      return {
        kind: 'gap',
        missedFrom: null,
        missedTo: missedTo === undefined ? null : id(missedTo),
        events: pick(kept),
      };
    }
    const after = kept.filter((entry) => entry.seq > seq);
    const firstMissing = seq + 1 < oldest ? seq + 1 : after.find((entry) => entry.event === undefined)?.seq;
    if (firstMissing === undefined) return { kind: 'complete', events: pick(after) };
    return {
      kind: 'gap',
      missedFrom: id(firstMissing),
      missedTo: id(lastMissing(seq) ?? firstMissing),
      events: pick(after),
    };
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
