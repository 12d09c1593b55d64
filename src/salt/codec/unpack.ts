import { emptyDict, noteKey, orderedKeys, setKeyOrder } from '../../dict.js';
import { pythonFloat } from '../../python/float.js';
import { PackedValue, type SaltMap, type SaltValue } from './values.js';

/**
 * msgpack decoder following Salt's own recipe (docs/wire-protocol.md "msgpack as Salt writes it"):
 * every str/bin value is read as bytes, then decoded as UTF-8 where that succeeds; bytes that are
 * not UTF-8 stay a `Uint8Array`. msgpackr cannot keep invalid UTF-8 (it substitutes U+FFFD), so the
 * request channel and the bus wrapper go through this decoder.
 */

/**
 * Thrown when the buffer ends inside a value: the caller should wait for more bytes. `needed` is
 * the buffer length the decoder would have to see before it can go past the point where it stopped
 * (a lower bound for the whole value), so a reader need not try again before that many arrived.
 */
export class IncompleteMsgpack extends Error {
  constructor(readonly needed: number) {
    super('msgpack value is incomplete');
    this.name = 'IncompleteMsgpack';
  }
}

export class InvalidMsgpack extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidMsgpack';
  }
}

export interface UnpackOptions {
  /** bin values: keep as bytes (default) or decode like str (Salt's `raw=True` reader). */
  binAsString?: boolean;
  /**
   * bin values as views into the buffer rather than copies: for a caller that is done with them
   * before the buffer changes (the event frame reader, whose wrapper's body is decoded at once).
   */
  binViews?: boolean;
  /**
   * The top-level map's `return` value, when its encoding takes at least this many bytes, is kept
   * as those bytes (a `PackedValue`, decoded when read): what a job waiting for 10,000 large
   * returns holds until its answer is written (the event bus, for `salt/job/<jid>/ret/<id>`).
   */
  deferReturn?: number;
}

/** Salt's datetime extension; its payload is the text `%Y%m%dT%H:%M:%S.%f`. */
const EXT_DATETIME = 78;
const MAX_DEPTH = 512;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Text up to this many bytes is read byte by byte when it is ASCII (most keys and short values). */
const SHORT_TEXT = 24;

function bytesToValue(bytes: Uint8Array): string | Uint8Array {
  try {
    return utf8.decode(bytes);
  } catch {
    return Buffer.from(bytes);
  }
}

class Reader {
  pos: number;

  constructor(
    private readonly buf: Buffer,
    start: number,
    private readonly binAsString: boolean,
    private readonly binViews: boolean,
    private readonly deferReturn = Infinity,
  ) {
    this.pos = start;
  }

  /**
   * A str (or raw) value of `n` bytes: UTF-8 text, or the bytes when they are not UTF-8. ASCII,
   * by far the most common, is read without a view and a decoder call.
   */
  private text(n: number): string | Uint8Array {
    this.need(n);
    const buf = this.buf;
    const start = this.pos;
    const end = start + n;
    this.pos = end;
    if (n <= SHORT_TEXT) {
      let out = '';
      for (let i = start; i < end; i++) {
        const byte = buf[i]!;
        if (byte >= 0x80) return bytesToValue(buf.subarray(start, end));
        out += String.fromCharCode(byte);
      }
      return out;
    }
    for (let i = start; i < end; i++) if (buf[i]! >= 0x80) return bytesToValue(buf.subarray(start, end));
    return buf.toString('latin1', start, end);
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new IncompleteMsgpack(this.pos + n);
  }

  private take(n: number): Buffer {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  private u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  private u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  private big(v: bigint): number | bigint {
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  read(depth = 0): SaltValue {
    if (depth > MAX_DEPTH) throw new InvalidMsgpack('msgpack nesting is too deep');
    const b = this.u8();
    if (b < 0x80) return b;
    if (b >= 0xe0) return b - 0x100;
    if (b >= 0xa0 && b <= 0xbf) return this.text(b & 0x1f);
    if (b >= 0x90 && b <= 0x9f) return this.array(b & 0x0f, depth);
    if (b >= 0x80 && b <= 0x8f) return this.map(b & 0x0f, depth);
    switch (b) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return this.binary(this.u8());
      case 0xc5:
        return this.binary(this.u16());
      case 0xc6:
        return this.binary(this.u32());
      case 0xc7:
        return this.ext(this.u8());
      case 0xc8:
        return this.ext(this.u16());
      case 0xc9:
        return this.ext(this.u32());
      case 0xca:
        return pythonFloat(this.take(4).readFloatBE(0));
      case 0xcb:
        return pythonFloat(this.take(8).readDoubleBE(0));
      case 0xcc:
        return this.u8();
      case 0xcd:
        return this.u16();
      case 0xce:
        return this.u32();
      case 0xcf:
        return this.big(this.take(8).readBigUInt64BE(0));
      case 0xd0:
        return this.take(1).readInt8(0);
      case 0xd1:
        return this.take(2).readInt16BE(0);
      case 0xd2:
        return this.take(4).readInt32BE(0);
      case 0xd3:
        return this.big(this.take(8).readBigInt64BE(0));
      case 0xd4:
        return this.ext(1);
      case 0xd5:
        return this.ext(2);
      case 0xd6:
        return this.ext(4);
      case 0xd7:
        return this.ext(8);
      case 0xd8:
        return this.ext(16);
      case 0xd9:
        return this.text(this.u8());
      case 0xda:
        return this.text(this.u16());
      case 0xdb:
        return this.text(this.u32());
      case 0xdc:
        return this.array(this.u16(), depth);
      case 0xdd:
        return this.array(this.u32(), depth);
      case 0xde:
        return this.map(this.u16(), depth);
      case 0xdf:
        return this.map(this.u32(), depth);
      default:
        throw new InvalidMsgpack(`invalid msgpack format byte 0x${b.toString(16)}`);
    }
  }

  private binary(n: number): string | Uint8Array {
    if (this.binAsString) return this.text(n);
    const bytes = this.take(n);
    return this.binViews ? bytes : Buffer.from(bytes);
  }

  private ext(n: number): SaltValue {
    this.need(1 + n);
    const type = this.buf.readInt8(this.pos++);
    const data = this.take(n);
    return type === EXT_DATETIME ? bytesToValue(data) : Buffer.from(data);
  }

  private array(n: number, depth: number): SaltValue[] {
    // A length larger than the bytes left cannot be honest; refuse before allocating.
    if (n > this.buf.length - this.pos) this.need(n);
    const out: SaltValue[] = new Array<SaltValue>(n);
    for (let i = 0; i < n; i++) out[i] = this.read(depth + 1);
    return out;
  }

  private map(n: number, depth: number): SaltMap | Map<SaltValue, SaltValue> {
    if (n * 2 > this.buf.length - this.pos) this.need(n * 2);
    // Keys are the sender's: a null-prototype map keeps `__proto__` or `constructor` plain keys.
    const out: SaltMap = emptyDict<SaltValue>();
    // The order keys came in, once one of them is one an object would list first (dict.ts).
    let order: string[] | undefined;
    for (let i = 0; i < n; i++) {
      const raw = this.read(depth + 1);
      if (typeof raw !== 'string') {
        if (order !== undefined) setKeyOrder(out, order);
        return this.mapWithKeys(out, raw, n - i, depth);
      }
      const key = raw;
      order = noteKey(out, key, order);
      out[key] = depth === 0 && key === 'return' ? this.maybeDeferred(depth + 1) : this.read(depth + 1);
    }
    if (order !== undefined) setKeyOrder(out, order);
    return out;
  }

  /**
   * The rest of a map one of whose keys is not text (a minion's dict with int, float, bool or None
   * keys, or bytes): a Map, each key as it came, in order, as a Python dict holds them, so that the
   * JSON and YAML writers write them as salt-api does (an int key bare in YAML, `1` and `"1"` both).
   */
  private mapWithKeys(start: SaltMap, firstKey: SaltValue, left: number, depth: number): Map<SaltValue, SaltValue> {
    const map = new Map<SaltValue, SaltValue>();
    for (const key of orderedKeys(start)) map.set(key, start[key]);
    for (let i = 0; i < left; i++) {
      const key = i === 0 ? firstKey : this.read(depth + 1);
      map.set(key, this.read(depth + 1));
    }
    return map;
  }

  /** The next value, kept as its bytes when they are at least `deferReturn` long. */
  private maybeDeferred(depth: number): SaltValue {
    const start = this.pos;
    this.skip(depth);
    if (this.pos - start < this.deferReturn) {
      this.pos = start;
      return this.read(depth);
    }
    const { binAsString } = this;
    return new PackedValue(Buffer.from(this.buf.subarray(start, this.pos)), (bytes) => unpack(bytes, { binAsString }));
  }

  /** Moves past the next value without making it. */
  private skip(depth: number): void {
    if (depth > MAX_DEPTH) throw new InvalidMsgpack('msgpack nesting is too deep');
    const b = this.u8();
    if (b < 0x80 || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) return;
    if (b >= 0xa0 && b <= 0xbf) return void this.take(b & 0x1f);
    if (b >= 0x90 && b <= 0x9f) return this.skipItems(b & 0x0f, depth);
    if (b >= 0x80 && b <= 0x8f) return this.skipItems((b & 0x0f) * 2, depth);
    switch (b) {
      case 0xc4:
      case 0xd9:
        return void this.take(this.u8());
      case 0xc5:
      case 0xda:
        return void this.take(this.u16());
      case 0xc6:
      case 0xdb:
        return void this.take(this.u32());
      case 0xc7:
        return void this.take(1 + this.u8());
      case 0xc8:
        return void this.take(1 + this.u16());
      case 0xc9:
        return void this.take(1 + this.u32());
      case 0xca:
        return void this.take(4);
      case 0xcb:
        return void this.take(8);
      case 0xcc:
      case 0xd0:
        return void this.take(1);
      case 0xcd:
      case 0xd1:
        return void this.take(2);
      case 0xce:
      case 0xd2:
        return void this.take(4);
      case 0xcf:
      case 0xd3:
        return void this.take(8);
      case 0xd4:
        return void this.take(2);
      case 0xd5:
        return void this.take(3);
      case 0xd6:
        return void this.take(5);
      case 0xd7:
        return void this.take(9);
      case 0xd8:
        return void this.take(17);
      case 0xdc:
        return this.skipItems(this.u16(), depth);
      case 0xdd:
        return this.skipItems(this.u32(), depth);
      case 0xde:
        return this.skipItems(this.u16() * 2, depth);
      case 0xdf:
        return this.skipItems(this.u32() * 2, depth);
      default:
        throw new InvalidMsgpack(`invalid msgpack format byte 0x${b.toString(16)}`);
    }
  }

  private skipItems(n: number, depth: number): void {
    if (n > this.buf.length - this.pos) this.need(n);
    for (let i = 0; i < n; i++) this.skip(depth + 1);
  }
}

/** Decodes the msgpack value starting at `offset`; returns it with the offset just past it. */
export function unpackAt(buf: Buffer, offset: number, options: UnpackOptions = {}): { value: SaltValue; end: number } {
  const reader = new Reader(
    buf,
    offset,
    options.binAsString ?? false,
    options.binViews ?? false,
    options.deferReturn ?? Infinity,
  );
  const value = reader.read();
  return { value, end: reader.pos };
}

/** Decodes one whole msgpack document; trailing bytes are an error. */
export function unpack(buf: Buffer, options: UnpackOptions = {}): SaltValue {
  const { value, end } = unpackAt(buf, 0, options);
  if (end !== buf.length) throw new InvalidMsgpack(`${buf.length - end} trailing bytes after msgpack value`);
  return value;
}
