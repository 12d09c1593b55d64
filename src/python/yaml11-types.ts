/**
 * js-yaml types reproducing PyYAML's SafeLoader (YAML 1.1) implicit typing and the explicit tags
 * it supports.
 * Resolver regexes are PyYAML's `resolver.py`; constructors follow `constructor.py`.
 */
import { Type } from 'js-yaml';
import { pythonFloat } from './float.js';
import { MAX_INT_DIGITS, parseFloatText } from './numbers.js';

const NULL_PATTERN = /^(?:~|null|Null|NULL|)$/;
const BOOL_PATTERN = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const INT_PATTERN =
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const FLOAT_PATTERN =
  /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const TIMESTAMP_PATTERN =
  /^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$/;
const TIMESTAMP_PARTS =
  /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9]{1,2})(?::([0-9]{2}))?))?)?$/;

const isString = (data: unknown): data is string => typeof data === 'string';

export const nullType = new Type('tag:yaml.org,2002:null', {
  kind: 'scalar',
  resolve: (data: unknown) => data === null || (isString(data) && NULL_PATTERN.test(data)),
  construct: () => null,
});

export const boolType = new Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (data: unknown) => isString(data) && BOOL_PATTERN.test(data),
  construct: (data: string) => ['yes', 'true', 'on'].includes(data.toLowerCase()),
});

function splitSign(text: string): { negative: boolean; digits: string } {
  const negative = text.startsWith('-');
  const digits = text.startsWith('-') || text.startsWith('+') ? text.slice(1) : text;
  return { negative, digits };
}

/** Integers beyond 2^53 stay exact as bigint (jids are 20-digit integers under YAML 1.1). */
function toIntegerValue(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

const TOO_MANY_DIGITS = `Exceeds the limit (${MAX_INT_DIGITS} digits) for integer string conversion`;
/** Sexagesimal places past the first that make any value at least 60^2419 > 10^4300. */
const MAX_SEXAGESIMAL_PLACES = Math.ceil(MAX_INT_DIGITS / Math.log10(60)) - 1;
let smallestTooLong: bigint | undefined;

/**
 * Integers Python could not write in decimal (more than {@link MAX_INT_DIGITS} digits). Python's
 * `int()` refuses such decimal text with ValueError; in other bases it builds the value, which
 * then fails wherever Salt writes it (`str()`, the msgpack of a request to the master). Both are
 * refused here, before any conversion whose cost grows faster than the text: decimal digits and
 * sexagesimal places are counted first, and binary, octal and hex text (linear to read) is
 * compared once read.
 */
function refuseTooLong(magnitude: bigint): bigint {
  smallestTooLong ??= 10n ** BigInt(MAX_INT_DIGITS);
  if (magnitude >= smallestTooLong) throw new Error(TOO_MANY_DIGITS);
  return magnitude;
}

function sexagesimal(digits: string): bigint {
  const parts = digits.split(':');
  if ((parts[0] ?? '').length > MAX_INT_DIGITS || parts.length - 1 > MAX_SEXAGESIMAL_PLACES) {
    throw new Error(TOO_MANY_DIGITS);
  }
  return refuseTooLong(parts.reduce((sum, part) => sum * 60n + BigInt(part), 0n));
}

/** PyYAML's `construct_yaml_int`; `stripLeadingZeros` adds SaltYamlSafeLoader's construct_scalar override. */
export function constructInt(text: string, stripLeadingZeros: boolean): number | bigint {
  let value = text;
  if (
    stripLeadingZeros &&
    value !== '0' &&
    value.startsWith('0') &&
    !value.startsWith('0b') &&
    !value.startsWith('0x')
  ) {
    value = value.replace(/^0+/, '') || '0';
  }
  const { negative, digits } = splitSign(value.replace(/_/g, ''));
  if (digits === '') throw new Error(`invalid integer ${JSON.stringify(text)}`);
  if (digits === '0') return 0;
  let magnitude: bigint;
  if (digits.startsWith('0b')) magnitude = refuseTooLong(BigInt(`0b${digits.slice(2)}`));
  else if (digits.startsWith('0x')) magnitude = refuseTooLong(BigInt(`0x${digits.slice(2)}`));
  else if (digits.startsWith('0')) magnitude = refuseTooLong(BigInt(`0o${digits.slice(1)}`));
  else if (digits.includes(':')) magnitude = sexagesimal(digits);
  else if (digits.length > MAX_INT_DIGITS) throw new Error(TOO_MANY_DIGITS);
  else magnitude = BigInt(digits);
  return toIntegerValue(negative ? -magnitude : magnitude);
}

function makeIntType(stripLeadingZeros: boolean): Type {
  return new Type('tag:yaml.org,2002:int', {
    kind: 'scalar',
    resolve: (data: unknown) => isString(data) && INT_PATTERN.test(data),
    construct: (data: string) => constructInt(data, stripLeadingZeros),
  });
}

/** Plain PyYAML: `0755` is octal 493. */
export const intType = makeIntType(false);
/** SaltYamlSafeLoader: leading zeros are stripped before int construction, so `0755` is 755. */
export const saltIntType = makeIntType(true);

export function constructFloat(text: string): number {
  const { negative, digits } = splitSign(text.replace(/_/g, '').toLowerCase());
  const sign = negative ? -1 : 1;
  if (digits === '.inf') return sign * Infinity;
  if (digits === '.nan') return NaN;
  if (digits.includes(':')) return sign * digits.split(':').reduce((sum, part) => sum * 60 + Number(part), 0);
  const value = parseFloatText(digits);
  if (value === undefined) throw new Error(`invalid float ${JSON.stringify(text)}`);
  return sign * value;
}

/** Whether `!!float text` loads: PyYAML converts any text Python's `float()` reads (`1e3`, `0`, `inf`). */
function explicitFloatResolves(data: unknown): boolean {
  if (!isString(data)) return false;
  try {
    constructFloat(data);
    return true;
  } catch {
    return false;
  }
}

export const floatType = new Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (data: unknown) => isString(data) && FLOAT_PATTERN.test(data),
  construct: constructFloat,
});

/**
 * Floats of request data: an integral one (`1.0`, `1e2`) stays a float (`Float64`), as it does in
 * Python, so that it reaches the master as a float. The master config keeps plain numbers.
 */
export const requestFloatType = new Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (data: unknown) => isString(data) && FLOAT_PATTERN.test(data),
  construct: (text: string) => pythonFloat(constructFloat(text)),
});

/**
 * The explicit `!!float` tag: the text need not look like an implicit float (`!!float 0` is 0.0).
 * Loading only: the implicit float types above write floats.
 */
export const explicitFloatType = new Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: explicitFloatResolves,
  construct: constructFloat,
});

/** `!!float` in request data: an integral value stays a float (`Float64`). */
export const explicitRequestFloatType = new Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: explicitFloatResolves,
  construct: (text: string) => pythonFloat(constructFloat(text)),
});

export const mergeType = new Type('tag:yaml.org,2002:merge', {
  kind: 'scalar',
  resolve: (data: unknown) => data === '<<',
});

function validDate(date: Date, year: number, month: number, day: number): boolean {
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** PyYAML's `construct_yaml_timestamp`, as an instant: naive times are taken as UTC. */
export function constructTimestamp(text: string): Date {
  const parts = TIMESTAMP_PARTS.exec(text);
  if (parts === null) throw new Error(`invalid timestamp ${JSON.stringify(text)}`);
  const [year, month, day] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const [hour, minute, second] = [Number(parts[4] ?? 0), Number(parts[5] ?? 0), Number(parts[6] ?? 0)];
  const millis = Number((parts[7] ?? '').slice(0, 3).padEnd(3, '0'));
  let offsetMinutes = 0;
  if (parts[9] !== undefined) {
    offsetMinutes = Number(parts[10]) * 60 + Number(parts[11] ?? 0);
    if (parts[9] === '-') offsetMinutes = -offsetMinutes;
  }
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second, millis));
  if (!validDate(date, year, month, day) || hour > 23 || minute > 59 || second > 59) {
    throw new Error(`invalid timestamp ${JSON.stringify(text)}`);
  }
  return new Date(date.getTime() - offsetMinutes * 60_000);
}

const timestampResolves = (data: unknown): boolean => isString(data) && TIMESTAMP_PATTERN.test(data);

/** Plain PyYAML: timestamps become datetimes (JS Date). */
export const timestampType = new Type('tag:yaml.org,2002:timestamp', {
  kind: 'scalar',
  resolve: timestampResolves,
  construct: constructTimestamp,
});

/** SaltYamlSafeLoader maps the timestamp tag to construct_scalar: the text stays a string. */
export const saltTimestampType = new Type('tag:yaml.org,2002:timestamp', {
  kind: 'scalar',
  resolve: timestampResolves,
  construct: (data: string) => data,
});

export const binaryType = new Type('tag:yaml.org,2002:binary', {
  kind: 'scalar',
  resolve: (data: unknown) => isString(data) && /^[A-Za-z0-9+/=\s]*$/.test(data),
  construct: (data: string) => Buffer.from(data.replace(/\s/g, ''), 'base64'),
});

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isSinglePairList = (data: unknown): data is Array<Record<string, unknown>> =>
  Array.isArray(data) && data.every((item) => isPlainObject(item) && Object.keys(item).length === 1);

/** `!!omap` and `!!pairs`: PyYAML builds a list of (key, value) tuples. */
function makePairListType(tag: string): Type {
  return new Type(tag, {
    kind: 'sequence',
    resolve: (data: unknown) => data === null || isSinglePairList(data),
    construct: (data: Array<Record<string, unknown>> | null) => (data ?? []).flatMap((item) => Object.entries(item)),
  });
}

export const omapType = makePairListType('tag:yaml.org,2002:omap');
export const pairsType = makePairListType('tag:yaml.org,2002:pairs');

/** `!!set`: PyYAML builds a set of the mapping's keys; here, the list of keys. */
export const setType = new Type('tag:yaml.org,2002:set', {
  kind: 'mapping',
  resolve: (data: unknown) => data === null || isPlainObject(data),
  construct: (data: Record<string, unknown> | null) => Object.keys(data ?? {}),
});

/** Salt registers `!!python/unicode` as a plain string. */
export const pythonUnicodeType = new Type('tag:yaml.org,2002:python/unicode', {
  kind: 'scalar',
  construct: (data: string | null) => data ?? '',
});
