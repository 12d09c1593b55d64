import { orderedKeys } from '../../dict.js';
import { PackLimitError } from '../errors.js';
import { Float64, PackedValue, SaltExt, type SaltValue } from './values.js';

/**
 * msgpack encoder that writes exactly what Python's msgpack writes for Salt.
 *
 * Salt packs its request channel with `use_bin_type=False` (the old spec: strings are
 * fixraw/raw16/raw32, never str8, and bytes are written as raw strings too) and event data
 * with `use_bin_type=True` (str8 exists, bytes are bin). Why not a library such as msgpackr:
 * it writes integers beyond 32 bits as float64 (the master would receive floats), cannot write
 * an integral float as float64 (`Float64`), and emits its own extension types with default
 * options, which Salt cannot read. Writing raw16 rather than str8 is not needed by the master
 * (Python's unpacker reads str8 too); it keeps the output byte-identical with the recorded
 * fixtures, which the tests check. Evidence: docs/decisions/0001-own-msgpack-codec.md.
 */
export interface PackOptions {
  /** Python's `use_bin_type`: true on the event bus, false on the request channel. */
  useBinType: boolean;
  /** Deepest nesting of lists and maps written; deeper (or recursive) values are refused. */
  maxDepth?: number;
  /** Largest encoding produced; a value that would encode larger is refused. */
  maxBytes?: number;
}

/** As deep as the decoder accepts (unpack.ts). */
export const MAX_PACK_DEPTH = 512;
/** Far above any load a request can build (its body is bounded), far below what would hurt. */
export const MAX_PACK_BYTES = 64 * 1024 * 1024;

const INITIAL_SIZE = 256;

class Writer {
  private buf = Buffer.allocUnsafe(INITIAL_SIZE);
  private pos = 0;
  private depth = 0;

  constructor(
    private readonly useBinType: boolean,
    private readonly maxDepth: number,
    private readonly maxBytes: number,
  ) {}

  result(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.pos + n > this.maxBytes) {
      throw new PackLimitError(`the value encodes to more than ${this.maxBytes} bytes of msgpack`);
    }
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  private bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  write(value: SaltValue): void {
    if (value === null || value === undefined) return this.byte(0xc0);
    switch (typeof value) {
      case 'boolean':
        return this.byte(value ? 0xc3 : 0xc2);
      case 'number':
        if (!Number.isSafeInteger(value)) return this.float64(value);
        return value >= -0x80000000 && value < 0x100000000 ? this.int32(value) : this.int(BigInt(value));
      case 'bigint':
        return this.int(value);
      case 'string':
        return this.string(Buffer.from(value, 'utf8'));
    }
    if (value instanceof Float64) return this.float64(value.value);
    if (value instanceof SaltExt) return this.ext(value);
    // Decoded and written as any value: its bytes may have used the other string types.
    if (value instanceof PackedValue) return this.write(value.value() as SaltValue);
    if (value instanceof Uint8Array) {
      return this.useBinType ? this.bin(value) : this.string(value);
    }
    if (this.depth >= this.maxDepth) {
      throw new PackLimitError(`the value is nested deeper than ${this.maxDepth} levels (or recursive)`);
    }
    this.depth++;
    this.container(value);
    this.depth--;
  }

  /** fixext 1/2/4/8/16 where the length fits, else ext 8/16/32 (msgpack-python's choice). */
  private ext(value: SaltExt): void {
    const n = value.data.length;
    const fixed = new Map([
      [1, 0xd4],
      [2, 0xd5],
      [4, 0xd6],
      [8, 0xd7],
      [16, 0xd8],
    ]).get(n);
    if (fixed !== undefined) this.byte(fixed);
    else if (n <= 0xff) {
      this.byte(0xc7);
      this.byte(n);
    } else if (n <= 0xffff) {
      this.byte(0xc8);
      this.byte(n >> 8);
      this.byte(n & 0xff);
    } else {
      this.byte(0xc9);
      for (const shift of [24, 16, 8, 0]) this.byte((n >>> shift) & 0xff);
    }
    this.byte(value.type & 0xff);
    this.bytes(value.data);
  }

  private container(value: SaltValue[] | Map<SaltValue, SaltValue> | Record<string, SaltValue>): void {
    if (Array.isArray(value)) {
      this.header(value.length, 0x90, 0xdc, 0xdd);
      for (const item of value) this.write(item);
      return;
    }
    if (value instanceof Map) {
      this.header(value.size, 0x80, 0xde, 0xdf);
      for (const [k, v] of value) {
        this.write(k);
        this.write(v);
      }
      return;
    }
    // In the order the keys came in (dict.ts: an object lists index-like keys first).
    const record = value as Record<string, unknown>;
    const keys = orderedKeys(record).filter((key) => record[key] !== undefined);
    this.header(keys.length, 0x80, 0xde, 0xdf);
    for (const key of keys) {
      this.string(Buffer.from(key, 'utf8'));
      this.write(record[key] as SaltValue);
    }
  }

  private header(length: number, fix: number, code16: number, code32: number): void {
    if (length < 16) return this.byte(fix | length);
    this.ensure(5);
    if (length < 0x10000) {
      this.buf[this.pos++] = code16;
      this.pos = this.buf.writeUInt16BE(length, this.pos);
    } else {
      this.buf[this.pos++] = code32;
      this.pos = this.buf.writeUInt32BE(length, this.pos);
    }
  }

  private string(utf8: Uint8Array): void {
    const n = utf8.length;
    this.ensure(5 + n);
    if (n < 32) {
      this.buf[this.pos++] = 0xa0 | n;
    } else if (n < 0x100 && this.useBinType) {
      this.buf[this.pos++] = 0xd9;
      this.buf[this.pos++] = n;
    } else if (n < 0x10000) {
      this.buf[this.pos++] = 0xda;
      this.pos = this.buf.writeUInt16BE(n, this.pos);
    } else {
      this.buf[this.pos++] = 0xdb;
      this.pos = this.buf.writeUInt32BE(n, this.pos);
    }
    this.bytes(utf8);
  }

  private bin(data: Uint8Array): void {
    const n = data.length;
    this.ensure(5 + n);
    if (n < 0x100) {
      this.buf[this.pos++] = 0xc4;
      this.buf[this.pos++] = n;
    } else if (n < 0x10000) {
      this.buf[this.pos++] = 0xc5;
      this.pos = this.buf.writeUInt16BE(n, this.pos);
    } else {
      this.buf[this.pos++] = 0xc6;
      this.pos = this.buf.writeUInt32BE(n, this.pos);
    }
    this.bytes(data);
  }

  private float64(v: number): void {
    this.ensure(9);
    this.buf[this.pos++] = 0xcb;
    this.pos = this.buf.writeDoubleBE(v, this.pos);
  }

  /** Shortest integer form for values that fit in 32 bits (the common case, no BigInt). */
  private int32(v: number): void {
    this.ensure(5);
    const b = this.buf;
    if (v >= 0) {
      if (v < 0x80) b[this.pos++] = v;
      else if (v < 0x100) {
        b[this.pos++] = 0xcc;
        b[this.pos++] = v;
      } else if (v < 0x10000) {
        b[this.pos++] = 0xcd;
        this.pos = b.writeUInt16BE(v, this.pos);
      } else {
        b[this.pos++] = 0xce;
        this.pos = b.writeUInt32BE(v, this.pos);
      }
    } else if (v >= -0x20) b[this.pos++] = v & 0xff;
    else if (v >= -0x80) {
      b[this.pos++] = 0xd0;
      this.pos = b.writeInt8(v, this.pos);
    } else if (v >= -0x8000) {
      b[this.pos++] = 0xd1;
      this.pos = b.writeInt16BE(v, this.pos);
    } else {
      b[this.pos++] = 0xd2;
      this.pos = b.writeInt32BE(v, this.pos);
    }
  }

  /**
   * Shortest integer form, as Python's msgpack chooses it. An integer outside msgpack's 64-bit
   * range goes out as its decimal text, as `salt.payload.dumps` does for "very long longs" (a jid
   * typed as an integer, for one): its `default` hook turns them into `str(obj)`.
   */
  private int(v: bigint): void {
    if (v >= 0x10000000000000000n || v < -0x8000000000000000n) return this.string(Buffer.from(v.toString(), 'utf8'));
    this.ensure(9);
    const b = this.buf;
    if (v >= 0n) {
      if (v < 0x80n) b[this.pos++] = Number(v);
      else if (v < 0x100n) {
        b[this.pos++] = 0xcc;
        b[this.pos++] = Number(v);
      } else if (v < 0x10000n) {
        b[this.pos++] = 0xcd;
        this.pos = b.writeUInt16BE(Number(v), this.pos);
      } else if (v < 0x100000000n) {
        b[this.pos++] = 0xce;
        this.pos = b.writeUInt32BE(Number(v), this.pos);
      } else {
        b[this.pos++] = 0xcf;
        this.pos = b.writeBigUInt64BE(v, this.pos);
      }
    } else if (v >= -0x20n) {
      b[this.pos++] = Number(v) & 0xff;
    } else if (v >= -0x80n) {
      b[this.pos++] = 0xd0;
      this.pos = b.writeInt8(Number(v), this.pos);
    } else if (v >= -0x8000n) {
      b[this.pos++] = 0xd1;
      this.pos = b.writeInt16BE(Number(v), this.pos);
    } else if (v >= -0x80000000n) {
      b[this.pos++] = 0xd2;
      this.pos = b.writeInt32BE(Number(v), this.pos);
    } else {
      b[this.pos++] = 0xd3;
      this.pos = b.writeBigInt64BE(v, this.pos);
    }
  }
}

/**
 * Encodes `value`; throws PackLimitError (a SaltError of kind 'too-large') for a value nested
 * deeper than `maxDepth` or encoding to more than `maxBytes`.
 */
export function pack(value: SaltValue, options: PackOptions): Buffer {
  const writer = new Writer(options.useBinType, options.maxDepth ?? MAX_PACK_DEPTH, options.maxBytes ?? MAX_PACK_BYTES);
  writer.write(value);
  return writer.result();
}
