/**
 * A Python float whose value happens to be integral. JavaScript has one number type, Python two:
 * `1.0` must stay a float on its way through salt-apid (written `1.0` in JSON and YAML, encoded as
 * msgpack float64), so such values are carried as `Float64`. Non-integral floats are plain numbers:
 * nothing can mistake them for integers.
 */
export class Float64 {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
  toJSON(): number {
    return this.value;
  }
}

/** A float as Python has it: integral values wrapped, so that they stay floats. */
export function pythonFloat(value: number): number | Float64 {
  return Number.isInteger(value) ? new Float64(value) : value;
}
