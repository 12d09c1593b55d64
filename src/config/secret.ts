import { inspect } from 'node:util';

/**
 * A secret from the configuration (a webhook's shared secret, the event hub's token). It prints
 * as `[secret]` however it is logged, serialised or inspected; only {@link Secret.bytes} gives the
 * value, to the code that compares it.
 */
export class Secret {
  readonly #bytes: Buffer;

  constructor(value: string | Buffer) {
    this.#bytes = Buffer.isBuffer(value) ? Buffer.from(value) : Buffer.from(value, 'utf8');
  }

  get bytes(): Buffer {
    return this.#bytes;
  }

  get length(): number {
    return this.#bytes.length;
  }

  toString(): string {
    return '[secret]';
  }

  toJSON(): string {
    return '[secret]';
  }

  [inspect.custom](): string {
    return '[secret]';
  }
}
