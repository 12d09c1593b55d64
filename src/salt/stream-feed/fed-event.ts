import type { SaltMap } from '../codec/values.js';
import { decodeEventBody, type SaltEvent } from '../event-frame.js';

/**
 * What passes between the main thread and the stream feed's thread (stream-feed.ts, feed-reader.ts).
 *
 * The thread numbers every event it reads (`seq`) and sends on those that some consumer wants,
 * ready to stream. A consumer (a stream's subscription, or a tap such as the replay ring) is
 * announced with `want`: its globs (null: every event) and the last number the main thread had
 * seen. The thread answers `wanted` with the events it read since then that match (its recent
 * history), and the number up to which that answer goes; the main thread gives the consumer
 * only later events after that. So a consumer gets every event read after it subscribed, in bus
 * order, however late the thread learns of it — as subscriptions of the main connection do.
 */
export interface FedEventWire {
  seq: number;
  tag: string;
  id: string | undefined;
  /** `{"data": …, "tag": …}` as salt-api's streams write it (sse.ts). */
  json: string;
  /** The event's bytes as published (`tag\n\n` + msgpack data), in a buffer of their own. */
  body: Uint8Array;
}

/** To the thread. */
export type FeedRequest =
  | { type: 'want'; consumer: number; tags: readonly string[] | null; after: number }
  | { type: 'unwant'; consumer: number }
  /** The main thread has handed on the events of this many messages (its answer to an `events` with any). */
  | { type: 'taken'; messages: number }
  | { type: 'close' };

/** From the thread. */
export type FeedMessage =
  /** The wanted events of what was just read, and the number of the last event read. */
  | { type: 'events'; events: FedEventWire[]; seq: number }
  /** The answer to `want`: the consumer's events since `after`, up to and including `upTo`. */
  | { type: 'wanted'; consumer: number; events: FedEventWire[]; upTo: number }
  | { type: 'connected'; address: string }
  | { type: 'disconnected'; address: string }
  | { type: 'failed'; message: string };

/**
 * A bus event read by the feed's thread: what a stream writes is ready, and its data is decoded
 * on first use (a formatted `/ws` stream reads it; `/events` and raw `/ws` never do).
 */
export class FedEvent implements SaltEvent {
  readonly tag: string;
  readonly json: string;
  readonly seq: number;
  declare readonly id?: string;
  private body: Uint8Array | undefined;
  private decoded: SaltMap | undefined;

  constructor(wire: FedEventWire) {
    this.tag = wire.tag;
    this.json = wire.json;
    this.seq = wire.seq;
    this.body = wire.body;
    if (wire.id !== undefined) (this as { id?: string }).id = wire.id;
  }

  get data(): SaltMap {
    if (this.decoded === undefined) {
      this.decoded = decodeEventBody(this.body ?? new Uint8Array()).data;
      this.body = undefined;
    }
    return this.decoded;
  }
}
