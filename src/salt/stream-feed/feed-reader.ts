import type { Socket } from 'node:net';
import { jsonDumps } from '../../python/json-dumps.js';
import { decodeEventBody, eventTag, EventFrameReader, type EventIdentifier } from '../event-frame.js';
import { eventIdentifier } from '../event-id.js';
import { describeAddress, openSocket, PROBE_TAG_PREFIX, type BusAddress } from '../event-pull.js';
import { globsMatcher } from '../tag-glob.js';
import type { FedEventWire, FeedMessage, FeedRequest } from './fed-event.js';

/**
 * The stream feed's reader (it runs in the feed's thread, worker.ts): a connection of its own to
 * the master's publisher. Every event is numbered and its tag read; only those some consumer
 * wants are decoded, named and written as JSON, so that the main thread gets them ready to
 * stream, and a 10,000-minion answer that no stream asked for costs little more than its bytes.
 * The protocol with the main thread: fed-event.ts. Reconnects with backoff when the master goes away.
 */
export interface FeedReaderOptions {
  pub: BusAddress;
  /** What names the events (event-id.ts), as the main connection names them; none: no ids. */
  identity?: string | Uint8Array | undefined;
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
}

/**
 * Bytes of events sent to the main thread and not yet handed on by it, past which the thread stops
 * reading the publisher (the backlog then waits in the socket, and the master cuts off a reader
 * that stays behind, as it would the main connection), and below which it reads again.
 */
const IN_FLIGHT_HIGH = 32 * 1024 * 1024;
const IN_FLIGHT_LOW = 8 * 1024 * 1024;

/** Events kept for the answer to a late `want`: this many at most, and this many bytes. */
const HISTORY_EVENTS = 1_024;
const HISTORY_BYTES = 4 * 1024 * 1024;

interface Read {
  seq: number;
  tag: string;
  body: Buffer;
}

type Send = (message: FeedMessage, transfer?: ArrayBuffer[]) => void;

export class FeedReader {
  private socket: Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private backoffMs: number;
  private closed = false;
  private readonly identify: EventIdentifier | undefined;
  private readonly address: string;
  private seq = 0;
  /** What each consumer wants: a tag matcher, or null for every event. */
  private readonly wants = new Map<number, ((tag: string) => boolean) | null>();
  /** The events read lately, from `historyHead` on (the slots before it are cleared). */
  private history: Array<Read | undefined> = [];
  private historyHead = 0;
  private historyBytes = 0;
  /** Sizes of the `events` messages with events not handed on yet by the main thread, oldest first; their sum. */
  private readonly inFlight: number[] = [];
  private inFlightBytes = 0;

  constructor(
    private readonly options: FeedReaderOptions,
    /** Told every batch of events (in bus order) and every change of the connection. */
    private readonly send: Send,
  ) {
    this.backoffMs = options.reconnectInitialMs ?? 50;
    this.identify = options.identity === undefined ? undefined : eventIdentifier(options.identity);
    this.address = describeAddress(options.pub);
  }

  start(): this {
    this.connect();
    return this;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.socket?.destroy();
  }

  /** A request of the main thread. */
  handle(request: FeedRequest): void {
    switch (request.type) {
      case 'want': {
        const { consumer, tags, after } = request;
        const matcher = tags === null ? null : globsMatcher(tags);
        this.wants.set(consumer, matcher);
        const events: FedEventWire[] = [];
        const transfer: ArrayBuffer[] = [];
        for (let i = this.historyHead; i < this.history.length; i++) {
          const read = this.history[i]!;
          if (read.seq > after && (matcher === null || matcher(read.tag))) this.wire(read, events, transfer);
        }
        this.send({ type: 'wanted', consumer, events, upTo: this.seq }, transfer);
        return;
      }
      case 'unwant':
        this.wants.delete(request.consumer);
        return;
      case 'taken':
        this.taken(request.messages);
        return;
      case 'close':
        this.close();
    }
  }

  private connect(): void {
    if (this.closed) return;
    const socket = openSocket(this.options.pub);
    this.socket = socket;
    const frames = new EventFrameReader();
    socket.on('connect', () => {
      this.backoffMs = this.options.reconnectInitialMs ?? 50;
      this.send({ type: 'connected', address: this.address });
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        this.forward(frames.frames(chunk));
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        this.send({ type: 'failed', message: `event bus stream is corrupt (${message}); reconnecting` });
        socket.destroy();
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.closed || socket !== this.socket) return;
      this.send({ type: 'disconnected', address: this.address });
      this.timer = setTimeout(() => this.connect(), this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, this.options.reconnectMaxMs ?? 1_000);
    });
  }

  /** The events of one chunk, numbered and kept; the wanted ones sent as one message. */
  private forward(bodies: Buffer[]): void {
    if (bodies.length === 0) return;
    const events: FedEventWire[] = [];
    const transfer: ArrayBuffer[] = [];
    for (const body of bodies) {
      const tag = eventTag(body);
      if (tag.startsWith(PROBE_TAG_PREFIX)) continue;
      const read = { seq: ++this.seq, tag, body };
      this.remember(read);
      if (this.wanted(tag)) this.wire(read, events, transfer);
    }
    this.send({ type: 'events', events, seq: this.seq }, transfer);
    // Only a message with events is handed on (and answered with `taken`); the others carry the number.
    if (events.length === 0) return;
    const bytes = events.reduce((sum, event) => sum + event.json.length + event.body.length, 0);
    this.inFlight.push(bytes);
    this.inFlightBytes += bytes;
    if (this.inFlightBytes > IN_FLIGHT_HIGH) this.socket?.pause();
  }

  /** The main thread handed on `messages` more `events` messages with events: read again once it has caught up. */
  private taken(messages: number): void {
    for (let i = 0; i < messages && this.inFlight.length > 0; i++) this.inFlightBytes -= this.inFlight.shift()!;
    if (this.inFlightBytes < IN_FLIGHT_LOW) this.socket?.resume();
  }

  /** Bytes sent to the main thread and not handed on yet, and whether reading waits for it. */
  get backlog(): { bytes: number; paused: boolean } {
    return { bytes: this.inFlightBytes, paused: this.socket?.isPaused() ?? false };
  }

  private wanted(tag: string): boolean {
    for (const matcher of this.wants.values()) if (matcher === null || matcher(tag)) return true;
    return false;
  }

  /** An event made ready to stream; one whose data does not decode is left out (the main connection logs it). */
  private wire(read: Read, events: FedEventWire[], transfer: ArrayBuffer[]): void {
    let event;
    try {
      event = decodeEventBody(read.body);
    } catch {
      return;
    }
    // A copy of its own: a view would carry the whole chunk read to the other thread.
    const body = new Uint8Array(read.body);
    transfer.push(body.buffer);
    const id = this.identify?.(read.body, event.data);
    events.push({ seq: read.seq, tag: read.tag, id, json: jsonDumps({ data: event.data, tag: read.tag }), body });
  }

  private remember(read: Read): void {
    this.history.push(read);
    this.historyBytes += read.body.length;
    while (this.history.length - this.historyHead > HISTORY_EVENTS || this.historyBytes > HISTORY_BYTES) {
      this.historyBytes -= this.history[this.historyHead]!.body.length;
      this.history[this.historyHead++] = undefined;
    }
    if (this.historyHead > 1_024 && this.historyHead * 2 > this.history.length) {
      this.history = this.history.slice(this.historyHead);
      this.historyHead = 0;
    }
  }
}
