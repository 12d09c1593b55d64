import { IncompleteMsgpack, unpackAt } from '../salt/codec/unpack.js';
import type { EventFraming } from '../salt/event-frame.js';
import { errorMessage } from '../error-fields.js';

/**
 * Reads what event senders write into `master_event_pull.ipc` the way a master of the chosen
 * framing does (docs/wire-protocol.md). A frame in the other framing loses the rest of that
 * connection, as on a real master, in the two ways a real master loses it:
 * - a length-prefix reader takes a bare wrapper's first bytes as a ~2 GB length and waits for
 *   them without a word (tornado's `read_bytes`); nothing is reported;
 * - a legacy stream reader reads the prefix as small integers, fails on `msg["body"]` and logs
 *   an exception; that is reported as `dropped`.
 */

/** Frames above this are treated as a misread length (Salt's max_event_size is 1 MiB). */
const MAX_PULL_FRAME = 16 * 1024 * 1024;

export type PullResult = { body: Buffer } | { dropped: string };

export class PullFrameReader {
  private pending: Buffer = Buffer.alloc(0);
  private swallowing = false;

  constructor(private readonly framing: EventFraming) {}

  push(chunk: Buffer): PullResult[] {
    if (this.swallowing) return [];
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const results: PullResult[] = [];
    let offset = 0;
    while (!this.swallowing && offset < this.pending.length) {
      const next = this.framing === 'len32' ? this.nextPrefixed(offset) : this.nextBare(offset);
      if (next === undefined) break;
      offset = next.end;
      if (next.result !== undefined) results.push(next.result);
    }
    this.pending = this.swallowing ? Buffer.alloc(0) : this.pending.subarray(offset);
    return results;
  }

  private swallow(reason: string): { end: number; result: PullResult } {
    this.swallowing = true;
    return { end: this.pending.length, result: { dropped: reason } };
  }

  private nextPrefixed(offset: number): { end: number; result?: PullResult } | undefined {
    if (this.pending.length - offset < 4) return undefined;
    const length = this.pending.readUInt32BE(offset);
    if (length > MAX_PULL_FRAME) {
      // Waits for bytes that never come: the connection is silently useless from here on.
      this.swallowing = true;
      return { end: this.pending.length };
    }
    const end = offset + 4 + length;
    if (end > this.pending.length) return undefined;
    return { end, result: wrapperBody(this.pending.subarray(offset + 4, end)) };
  }

  private nextBare(offset: number): { end: number; result?: PullResult } | undefined {
    try {
      const { end } = unpackAt(this.pending, offset);
      const result = wrapperBody(this.pending.subarray(offset, end));
      if ('dropped' in result) return this.swallow(result.dropped);
      return { end, result };
    } catch (err) {
      if (err instanceof IncompleteMsgpack) return undefined;
      return this.swallow(`not msgpack: ${errorMessage(err)}`);
    }
  }
}

function isStrFamily(b: number | undefined): boolean {
  return b !== undefined && ((b >= 0xa0 && b <= 0xbf) || b === 0xd9 || b === 0xda || b === 0xdb);
}

function isBinFamily(b: number | undefined): boolean {
  return b === 0xc4 || b === 0xc5 || b === 0xc6;
}

/**
 * The event bytes of one `{head, body}` wrapper. The body must be bin; a str body is decoded
 * as UTF-8 by the master and the event is dropped when that fails (it practically always does,
 * since packed data is rarely valid UTF-8).
 */
function wrapperBody(wrapper: Buffer): PullResult {
  try {
    const first = wrapper[0];
    let pos = 1;
    let count: number;
    if (first !== undefined && first >= 0x80 && first <= 0x8f) count = first & 0x0f;
    else if (first === 0xde) [count, pos] = [wrapper.readUInt16BE(1), 3];
    else if (first === 0xdf) [count, pos] = [wrapper.readUInt32BE(1), 5];
    else return { dropped: 'event frame is not a map' };
    let body: PullResult = { dropped: 'event frame has no body' };
    for (let i = 0; i < count; i++) {
      const key = unpackAt(wrapper, pos);
      const format = wrapper[key.end];
      const value = unpackAt(wrapper, key.end);
      pos = value.end;
      if (key.value !== 'body') continue;
      if (isBinFamily(format) && value.value instanceof Uint8Array) body = { body: Buffer.from(value.value) };
      else if (isStrFamily(format) && typeof value.value === 'string')
        body = { body: Buffer.from(value.value, 'utf8') };
      else body = { dropped: 'event body is not bin (or a str that is not UTF-8)' };
    }
    return body;
  } catch (err) {
    return { dropped: `bad event frame: ${errorMessage(err)}` };
  }
}
