/**
 * A value kept undecoded and produced each time it is read: a minion's return held as the msgpack
 * bytes it came in (src/salt/codec/packed.ts). The JSON and YAML writers read it only when they
 * reach it and let it go once written, so an answer of 10,000 minions' grains holds their bytes,
 * not 10,000 decoded object graphs at once. It reads as what it stands for: `toJSON()` for
 * JSON.stringify, {@link settled} for the YAML writer and anything else that looks inside.
 */
export class DeferredValue {
  constructor(
    private readonly produce: () => unknown,
    /** About how large it is written (bytes of its encoding): what a size estimate counts. */
    readonly size: number,
  ) {}

  /** The value, made again at each call: nothing decoded is kept. */
  value(): unknown {
    return this.produce();
  }

  toJSON(): unknown {
    return this.produce();
  }
}

/** The value itself where `value` is deferred. */
export function settled(value: unknown): unknown {
  return value instanceof DeferredValue ? value.value() : value;
}
