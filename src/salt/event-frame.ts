import { pack } from './codec/pack.js';
import { IncompleteMsgpack, InvalidMsgpack, unpack, unpackAt } from './codec/unpack.js';
import { isSaltMap, type SaltMap, type SaltValue } from './codec/values.js';

/**
 * Event bus frames (docs/wire-protocol.md "Frames"): a msgpack wrapper `{head: {}, body: <bin>}`
 * whose body is `tag + "\n\n" + msgpack(data)`, sent either bare or behind a 4-byte big-endian
 * length.
 */

export type EventFraming = 'bare' | 'len32';

export interface SaltEvent {
  tag: string;
  data: SaltMap;
  /** Its id (event-id.ts), where the bus was asked to name the events it reads. */
  id?: string;
  /** `{"data": …, "tag": …}` as salt-api's streams write it, where its reader made it already. */
  readonly json?: string;
}

/** Names an event from its bytes as published and its decoded data (event-id.ts). */
export type EventIdentifier = (body: Uint8Array, data: SaltMap) => string;

const TAG_END = Buffer.from('\n\n');
const WRAPPER_FIRST_BYTE = 0x82;
/** Largest frame accepted from the master; Salt's max_event_size defaults to 1 MiB. */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

export function encodeEventBody(tag: string, data: SaltValue): Buffer {
  return Buffer.concat([Buffer.from(tag, 'utf8'), TAG_END, pack(data, { useBinType: true })]);
}

export function encodeEventFrame(tag: string, data: SaltValue, framing: EventFraming): Buffer {
  return frameBody(encodeEventBody(tag, data), framing);
}

/** Wraps already-encoded event bytes; the master republishes them unchanged. */
export function frameBody(body: Buffer, framing: EventFraming): Buffer {
  const wrapper = pack({ head: {}, body }, { useBinType: true });
  if (framing === 'bare') return wrapper;
  const prefix = Buffer.allocUnsafe(4);
  prefix.writeUInt32BE(wrapper.length, 0);
  return Buffer.concat([prefix, wrapper]);
}

/** The tag of event bytes (what comes before the first `\n\n`), without decoding the data. */
export function eventTag(body: Buffer): string {
  const sep = body.indexOf(TAG_END);
  return body.toString('utf8', 0, sep < 0 ? body.length : sep);
}

/** `salt/job/<jid>/ret/<minion id>`: a minion's return. */
const JOB_RETURN_TAG = /^salt\/job\/[^/]+\/ret\//;

/**
 * Splits event bytes at the first `\n\n` into tag and data (Salt's `SaltEvent.unpack`). With
 * `deferReturnsOver`, a minion's return whose `return` takes at least that many bytes keeps it
 * packed (unpack's `deferReturn`).
 */
export function decodeEventBody(body: Uint8Array, deferReturnsOver?: number): SaltEvent {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.length);
  const sep = bytes.indexOf(TAG_END);
  if (sep < 0) return { tag: bytes.toString('utf8'), data: {} };
  const tag = bytes.subarray(0, sep).toString('utf8');
  const rest = bytes.subarray(sep + TAG_END.length);
  if (rest.length === 0) return { tag, data: {} };
  const deferReturn = deferReturnsOver !== undefined && JOB_RETURN_TAG.test(tag) ? deferReturnsOver : undefined;
  const data = unpack(rest, deferReturn === undefined ? {} : { deferReturn });
  return { tag, data: isSaltMap(data) ? data : { data } };
}

function wrapperBody(wrapper: SaltValue): Buffer {
  if (!isSaltMap(wrapper)) throw new InvalidMsgpack('event frame is not a {head, body} map');
  const body = wrapper['body'];
  // Releases before msgpack 1.0 may send the body str-typed; it is still the event's bytes.
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.length);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  throw new InvalidMsgpack('event frame has no body');
}

/** A frame's event, with its bytes as published (a view into the bytes read); or why it did not decode. */
export type FrameResult = { event: SaltEvent; body: Buffer } | { error: Error };

/**
 * Incremental reader for the publisher socket. The framing is decided once, on the first byte
 * of the connection: 0x82 starts a bare wrapper, 0x00 a length prefix
 * (docs/wire-protocol.md "How salt-apid detects the framing").
 * A frame whose event data does not decode is reported and skipped; a broken stream throws.
 */
export class EventFrameReader {
  /** Bytes received and not yet consumed, kept as chunks until a frame can be complete. */
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** How many buffered bytes the frame at the front needs at least before decoding is tried again. */
  private awaiting = 0;
  private framingSeen: EventFraming | undefined;

  /**
   * `identify`: names each event decoded (event-id.ts); without it events have no id.
   * `deferReturnsOver`: large minion returns stay packed (decodeEventBody).
   */
  constructor(
    private readonly identify?: EventIdentifier,
    private readonly deferReturnsOver?: number,
    /**
     * The chunks pushed are one buffer read into again (a socket's `onread` buffer): what is kept for
     * the next chunk is copied, and the frames and bodies handed out are valid only until the next push.
     */
    private readonly reusedChunks = false,
  ) {}

  get framing(): EventFraming | undefined {
    return this.framingSeen;
  }

  push(chunk: Buffer): FrameResult[] {
    return this.frames(chunk).map((body) => this.decode(body));
  }

  /**
   * The frames of a chunk, undecoded: each event's bytes as published (views into the bytes read).
   * Read their tags with {@link eventTag}, decode them with {@link decodeEventBody}.
   */
  frames(chunk: Buffer): Buffer[] {
    if (chunk.length === 0) return [];
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < this.awaiting || this.buffered === 0) {
      if (this.reusedChunks) this.chunks[this.chunks.length - 1] = Buffer.from(chunk);
      return [];
    }
    const results: Buffer[] = [];
    const pending = this.chunks.length === 1 ? chunk : this.completeFront(chunk, results);
    this.decideFraming(pending);
    let offset = 0;
    for (;;) {
      const next = this.next(pending, offset);
      if (!('body' in next)) {
        this.awaiting = next.needed - offset;
        break;
      }
      offset = next.end;
      results.push(next.body);
    }
    const rest = pending.subarray(offset);
    this.chunks = rest.length === 0 ? [] : [this.reusedChunks ? Buffer.from(rest) : rest];
    this.buffered = rest.length;
    if (this.awaiting > MAX_FRAME_BYTES + 4) {
      throw new InvalidMsgpack(`event frame larger than ${MAX_FRAME_BYTES} bytes`);
    }
    return results;
  }

  /**
   * The frame begun in earlier chunks, put together from its own bytes only (into `results`), and
   * what of `chunk` follows it: the chunk's other frames are read where they are, not copied. When
   * the frame needs more than it said, everything buffered is joined, as for any frame.
   */
  private completeFront(chunk: Buffer, results: Buffer[]): Buffer {
    const take = this.awaiting - (this.buffered - chunk.length);
    const front = Buffer.concat([...this.chunks.slice(0, -1), chunk.subarray(0, take)]);
    this.decideFraming(front);
    const next = this.next(front, 0);
    if ('body' in next && next.end === front.length) {
      results.push(next.body);
      return chunk.subarray(take);
    }
    return Buffer.concat(this.chunks);
  }

  private next(pending: Buffer, offset: number): { body: Buffer; end: number } | { needed: number } {
    return this.framingSeen === 'bare' ? this.nextBare(pending, offset) : this.nextPrefixed(pending, offset);
  }

  private decideFraming(pending: Buffer): void {
    if (this.framingSeen !== undefined) return;
    const first = pending[0]!;
    if (first === WRAPPER_FIRST_BYTE) this.framingSeen = 'bare';
    else if (first === 0x00) this.framingSeen = 'len32';
    else throw new InvalidMsgpack(`event stream starts with 0x${first.toString(16)}, not a Salt frame`);
  }

  private nextBare(pending: Buffer, offset: number): { body: Buffer; end: number } | { needed: number } {
    if (offset >= pending.length) return { needed: offset + 1 };
    try {
      const { value, end } = unpackAt(pending, offset, { binViews: true });
      return { body: wrapperBody(value), end };
    } catch (err) {
      if (err instanceof IncompleteMsgpack) return { needed: err.needed };
      throw err;
    }
  }

  private nextPrefixed(pending: Buffer, offset: number): { body: Buffer; end: number } | { needed: number } {
    if (pending.length - offset < 4) return { needed: offset + 4 };
    const length = pending.readUInt32BE(offset);
    if (length > MAX_FRAME_BYTES) throw new InvalidMsgpack(`event frame of ${length} bytes exceeds the limit`);
    const end = offset + 4 + length;
    if (end > pending.length) return { needed: end };
    return { body: wrapperBody(unpack(pending.subarray(offset + 4, end), { binViews: true })), end };
  }

  private decode(body: Buffer): FrameResult {
    try {
      const event = decodeEventBody(body, this.deferReturnsOver);
      if (this.identify !== undefined) event.id = this.identify(body, event.data);
      return { event, body };
    } catch (err) {
      return { error: err instanceof Error ? err : new Error(String(err)) };
    }
  }
}
