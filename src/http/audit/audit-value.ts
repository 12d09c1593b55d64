/**
 * A request's value as the audit log writes it: plain JSON, redacted (redaction.ts), and bounded
 * in depth, width, text length and total size, with a marker wherever something was cut, so that no
 * request can make a record large (docs/decisions/0030-audit-log.md).
 */
import { Float64 } from '../../python/float.js';
import { SaltExt } from '../../salt/codec/values.js';
import { emptyDict, safeText } from '../../dict.js';
import { holdsSecret, looksLikeSecretKey, REDACTED, redactCredentialsIn } from './redaction.js';

type AuditScalar = null | boolean | number | string;

export type AuditJson = AuditScalar | AuditJson[] | { [key: string]: AuditJson };

export interface AuditValueLimits {
  /** Containers nested deeper than this are written as a marker. */
  maxDepth: number;
  /** Items of a list, or keys of a mapping, beyond this are counted in a marker. */
  maxItems: number;
  /** Characters of a text beyond this are cut (and counted in a marker). */
  maxText: number;
  /**
   * Characters of JSON in all, about (texts and keys with their quotes, numbers as written, each
   * value and container its punctuation); past it every further value is a marker.
   */
  maxChars: number;
}

/** The arguments of a chunk: at most about 8 KB of text, whatever the request held. */
export const ARGS_LIMITS: AuditValueLimits = { maxDepth: 6, maxItems: 32, maxText: 512, maxChars: 8192 };

/** `fun`, `tgt`, `client`, `tgt_type`, a hook's tag: short values. */
export const FIELD_LIMITS: AuditValueLimits = { maxDepth: 2, maxItems: 32, maxText: 256, maxChars: 1024 };

const MAX_KEY = 128;
const TRUNCATED = '[truncated]';
const TOO_DEEP = '[truncated: nested too deep]';

/** What a value costs of the budget besides its text: its quotes and comma, or a container's brackets. */
const PUNCTUATION = 3;

/** One walk over a value, spending one budget of characters. */
class BoundedCopy {
  private chars = 0;

  constructor(
    private readonly limits: AuditValueLimits,
    private readonly secrets: readonly string[],
  ) {}

  private get spent(): boolean {
    return this.chars >= this.limits.maxChars;
  }

  value(value: unknown, depth: number): AuditJson {
    if (this.spent) return TRUNCATED;
    if (typeof value === 'string') return this.text(value);
    const written = this.scalar(value);
    if (written !== undefined) {
      this.chars += String(written).length + PUNCTUATION;
      return written;
    }
    if (typeof value !== 'object' || value === null) return TRUNCATED;
    if (depth >= this.limits.maxDepth) return TOO_DEEP;
    this.chars += PUNCTUATION;
    if (Array.isArray(value)) return this.list(value as unknown[], depth);
    const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
    return this.mapping(entries, depth);
  }

  /** A value that is neither a text nor a container, as JSON can have it; undefined for those. */
  private scalar(value: unknown): AuditScalar | undefined {
    if (value === null || value === undefined) return null;
    if (typeof value === 'boolean') return value;
    if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
    if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : String(value);
    if (value instanceof Float64) return this.scalar(value.value);
    if (value instanceof Uint8Array) return `[${value.length} bytes]`;
    if (value instanceof SaltExt) return `[extension type ${value.type}]`;
    return undefined;
  }

  /** A text: `[redacted]` when it holds a secret of the request, else cut and its credentials redacted. */
  private text(value: string): string {
    if (holdsSecret(value, this.secrets)) return REDACTED;
    const room = Math.min(this.limits.maxText, this.limits.maxChars - this.chars - PUNCTUATION);
    if (room <= 0) {
      this.chars = this.limits.maxChars;
      return TRUNCATED;
    }
    const cut = value.length > room ? `${value.slice(0, room)}…[${value.length - room} more characters]` : value;
    this.chars += Math.min(value.length, room) + PUNCTUATION;
    return redactCredentialsIn(cut);
  }

  private list(items: readonly unknown[], depth: number): AuditJson[] {
    const out: AuditJson[] = [];
    for (const [index, item] of items.entries()) {
      if (index >= this.limits.maxItems || this.spent) {
        out.push(`[${items.length - index} more items]`);
        break;
      }
      out.push(this.value(item, depth + 1));
    }
    return out;
  }

  private mapping(entries: ReadonlyArray<readonly [unknown, unknown]>, depth: number): Record<string, AuditJson> {
    const out = emptyDict<AuditJson>();
    for (const [index, [rawKey, item]] of entries.entries()) {
      if (index >= this.limits.maxItems || this.spent) {
        out['…'] = `[${entries.length - index} more keys]`;
        break;
      }
      const key = safeText(rawKey);
      const written = this.key(key);
      // A null-prototype object: any key, `__proto__` included, is an own key.
      out[written] = looksLikeSecretKey(key) ? REDACTED : this.value(item, depth + 1);
    }
    return out;
  }

  private key(key: string): string {
    if (holdsSecret(key, this.secrets)) return REDACTED;
    this.chars += Math.min(key.length, MAX_KEY) + PUNCTUATION;
    return key.length > MAX_KEY ? `${key.slice(0, MAX_KEY)}…` : key;
  }
}

/**
 * `value` as the audit log writes it: JSON values only (bytes, Salt extensions and non-finite numbers
 * as text), secret-looking keys' values and texts holding one of `secrets` as `[redacted]`, credentials
 * inside texts redacted, and cut to `limits`.
 */
export function auditValue(value: unknown, secrets: readonly string[], limits: AuditValueLimits): AuditJson {
  return new BoundedCopy(limits, secrets).value(value, 0);
}
