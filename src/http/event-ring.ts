import { randomBytes } from 'node:crypto';
import type { SaltEvent } from '../salt/event-frame.js';

/**
 * The replay ring of resumable `/events` streams (`events_ids`): every bus event gets an id,
 * `<boot>-<sequence>`, in bus order, and the newest ones are kept, at most `maxEvents` and none
 * older than `maxSeconds`. A client that reconnects with `Last-Event-ID` gets what it missed from
 * here. The boot part changes at every start, so an id from before a restart is known to be stale.
 */

export interface ReplayLimits {
  maxEvents: number;
  maxSeconds: number;
}

interface Entry {
  seq: number;
  at: number;
  event: SaltEvent;
}

export type Resume =
  /** Everything after the id is still here: replay `events`. */
  | { kind: 'complete'; events: SaltEvent[] }
  /** Some events after the id are gone (or the id is from another run): say so, then replay `events`. */
  | { kind: 'gap'; missedFrom: string | null; missedTo: string | null; events: SaltEvent[] };

export class EventRing {
  readonly boot = randomBytes(4).toString('hex');
  private readonly entries: Array<Entry | undefined> = [];
  private head = 0;
  private nextSeq = 1;
  private readonly ids = new WeakMap<SaltEvent, number>();

  constructor(
    private readonly limits: ReplayLimits,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Numbers and keeps one event; called for every bus event, in order. */
  record(event: SaltEvent): void {
    const seq = this.nextSeq++;
    this.ids.set(event, seq);
    this.entries.push({ seq, at: this.now(), event });
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
      entries.filter((entry) => wanted(entry.event.tag)).map((entry) => entry.event);
    const match = /^([0-9a-f]{8})-(\d{1,15})$/.exec(lastId.trim());
    const seq = match === null ? NaN : Number(match[2]);
    const oldest = kept[0]?.seq ?? this.nextSeq;
    if (match?.[1] !== this.boot || !Number.isSafeInteger(seq) || seq >= this.nextSeq) {
      // Another run's id (or none we gave): everything since is unknown; replay what is kept.
      return {
        kind: 'gap',
        missedFrom: null,
        missedTo: oldest > 1 ? `${this.boot}-${oldest - 1}` : null,
        events: pick(kept),
      };
    }
    const after = kept.filter((entry) => entry.seq > seq);
    if (seq + 1 < oldest) {
      return {
        kind: 'gap',
        missedFrom: `${this.boot}-${seq + 1}`,
        missedTo: `${this.boot}-${oldest - 1}`,
        events: pick(after),
      };
    }
    return { kind: 'complete', events: pick(after) };
  }

  get size(): number {
    return this.entries.length - this.head;
  }

  private kept(): Entry[] {
    return this.entries.slice(this.head).filter((entry): entry is Entry => entry !== undefined);
  }

  private trim(): void {
    const oldestAllowed = this.now() - this.limits.maxSeconds * 1000;
    while (this.head < this.entries.length) {
      const entry = this.entries[this.head];
      if (entry !== undefined && this.size <= this.limits.maxEvents && entry.at >= oldestAllowed) break;
      this.entries[this.head++] = undefined;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
  }
}
