/**
 * The size of a parsed value as everything downstream sees it (serialisers, msgpack, logs): every
 * shared reference counted each time it is reached, as a YAML alias is once it is expanded.
 *
 * A YAML loader builds aliases as shared references, so a few hundred bytes can describe billions
 * of nodes ("billion laughs") and even a cycle (`&a [*a]`). Measuring memoises each object's
 * totals, so the walk costs one visit per distinct object however large the expansion is, and
 * stops as soon as a bound is crossed.
 */

export interface ValueLimits {
  /** Deepest nesting of lists and mappings; a scalar at the top is depth 0. */
  maxDepth: number;
  /** Nodes after expansion: every list, mapping, key and scalar reached. */
  maxNodes: number;
  /** Characters of all strings and mapping keys after expansion (bytes for binary values). */
  maxStringChars: number;
}

export type ValueLimitName = 'depth' | 'nodes' | 'characters';

/** A value beyond one of its {@link ValueLimits}; the message names the bound. */
export class ValueTooLargeError extends Error {
  override readonly name = 'ValueTooLargeError';

  constructor(
    readonly limit: ValueLimitName,
    readonly bound: number,
  ) {
    super(
      limit === 'depth'
        ? `nesting is deeper than ${bound} levels (or recursive)`
        : `expands to more than ${bound} ${limit === 'nodes' ? 'nodes' : 'characters of text'}`,
    );
  }
}

interface Totals {
  nodes: number;
  chars: number;
  /** Height of the subtree: 0 for a scalar. */
  depth: number;
}

const SCALAR: Totals = { nodes: 1, chars: 0, depth: 0 };
/** Marks an object whose walk is in progress: meeting it again means a cycle. */
const IN_PROGRESS: Totals = { nodes: Infinity, chars: Infinity, depth: Infinity };

class Measurer {
  private readonly seen = new Map<object, Totals>();

  constructor(private readonly limits: ValueLimits) {}

  measure(value: unknown, level: number): Totals {
    if (typeof value === 'string') return { nodes: 1, chars: value.length, depth: 0 };
    if (typeof value !== 'object' || value === null) return SCALAR;
    if (value instanceof Uint8Array) return { nodes: 1, chars: value.byteLength, depth: 0 };
    if (value instanceof Date) return SCALAR;
    const known = this.seen.get(value);
    if (known === IN_PROGRESS) throw new ValueTooLargeError('depth', this.limits.maxDepth);
    if (known !== undefined) {
      if (level + known.depth > this.limits.maxDepth) throw new ValueTooLargeError('depth', this.limits.maxDepth);
      return known;
    }
    if (level >= this.limits.maxDepth) throw new ValueTooLargeError('depth', this.limits.maxDepth);

    this.seen.set(value, IN_PROGRESS);
    const totals: Totals = { nodes: 1, chars: 0, depth: 1 };
    const add = (child: Totals): void => {
      totals.nodes += child.nodes;
      totals.chars += child.chars;
      totals.depth = Math.max(totals.depth, child.depth + 1);
      this.check(totals);
    };
    if (Array.isArray(value)) {
      for (const item of value) add(this.measure(item, level + 1));
    } else if (value instanceof Map) {
      for (const [key, item] of value) {
        add(this.measure(key, level + 1));
        add(this.measure(item, level + 1));
      }
    } else {
      for (const key of Object.keys(value)) {
        add({ nodes: 1, chars: key.length, depth: 0 });
        add(this.measure((value as Record<string, unknown>)[key], level + 1));
      }
    }
    this.seen.set(value, totals);
    return totals;
  }

  check(totals: Totals): void {
    if (totals.nodes > this.limits.maxNodes) throw new ValueTooLargeError('nodes', this.limits.maxNodes);
    if (totals.chars > this.limits.maxStringChars) {
      throw new ValueTooLargeError('characters', this.limits.maxStringChars);
    }
  }
}

/**
 * Throws {@link ValueTooLargeError} when `value`, expanded, is deeper, larger or holds more text
 * than `limits` allow, or refers to itself. Costs one visit per distinct object.
 */
export function assertWithinLimits(value: unknown, limits: ValueLimits): void {
  const measurer = new Measurer(limits);
  measurer.check(measurer.measure(value, 0));
}

/**
 * Bounds for anything a request carries: 100 levels (js-yaml's own default, and far beyond the
 * few levels Salt's lowstate, pillar and kwargs use), a million nodes and 16 Mi characters after
 * expansion (a 1 MiB body without aliases stays well inside both).
 */
export const REQUEST_VALUE_LIMITS: ValueLimits = {
  maxDepth: 100,
  maxNodes: 1_000_000,
  maxStringChars: 16 * 1024 * 1024,
};

/** Master configuration files are trusted, but an alias bomb there must not hang the start. */
export const CONFIG_VALUE_LIMITS: ValueLimits = {
  maxDepth: 100,
  maxNodes: 10_000_000,
  maxStringChars: 256 * 1024 * 1024,
};
