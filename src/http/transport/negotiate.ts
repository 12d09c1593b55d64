/**
 * Response media type selection from the Accept header, by CherryPy's `cptools.accept()` rules
 * (docs/routes.md "Responses"). CherryPy sorts the ranges by q and, for equal q, by the range's
 * text in descending order — so `application/json, application/x-yaml` picks YAML. Clients have
 * come to depend on that, so it is reproduced rather than "fixed".
 */
import { parseFloatText } from '../../python/numbers.js';

export const JSON_MEDIA_TYPE = 'application/json';
export const YAML_MEDIA_TYPE = 'application/x-yaml';
export type ResponseMediaType = typeof JSON_MEDIA_TYPE | typeof YAML_MEDIA_TYPE;

/** What salt-api emits, in its order of preference. */
export const RESPONSE_MEDIA_TYPES: readonly [ResponseMediaType, ...ResponseMediaType[]] = [
  JSON_MEDIA_TYPE,
  YAML_MEDIA_TYPE,
];

export type NegotiationResult<T extends string> =
  { ok: true; mediaType: T } | { ok: false; status: 400 | 406; message: string };

interface AcceptRange {
  /** The media range without parameters, e.g. `application/*`. */
  value: string;
  /** Python's float() of the q parameter (CherryPy applies it). */
  quality: number;
  /** CherryPy's `str(element)`: the range with its parameters, used to order equal q values. */
  text: string;
}

/** A range whose q is not a number: CherryPy answers 400 naming it. */
interface MalformedRange {
  quality: undefined;
  text: string;
}

/** Splits on `separator` outside double-quoted strings. */
function splitOutsideQuotes(input: string, separator: string): string[] {
  const parts: string[] = [];
  let inQuotes = false;
  let start = 0;
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch === '"' && input[i - 1] !== '\\') inQuotes = !inQuotes;
    else if (ch === separator && !inQuotes) {
      parts.push(input.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(input.slice(start));
  return parts;
}

/** The stdlib `cgi.parse_header` CherryPy uses: `type;key=val` → value and parameters. */
function parseHeaderElement(element: string): { value: string; params: Map<string, string> } {
  const [first = '', ...rest] = splitOutsideQuotes(element, ';');
  const params = new Map<string, string>();
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim().toLowerCase();
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      value = value.slice(1, -1).replace(/\\\\/g, '\\').replace(/\\"/g, '"');
    }
    params.set(name, value);
  }
  return { value: first.trim(), params };
}

const Q_SEPARATOR = /; *q *=/;

/** CherryPy's `AcceptElement.from_str`: the first `;q=` separates media parameters from q. */
function parseAcceptRange(element: string): AcceptRange | MalformedRange {
  const separator = Q_SEPARATOR.exec(element);
  const mediaRange = separator ? element.slice(0, separator.index) : element;
  const { value, params } = parseHeaderElement(mediaRange.trim());
  let qValue = params.get('q') ?? '1';
  if (separator) {
    const q = parseHeaderElement(element.slice(separator.index + separator[0].length).trim());
    qValue = q.value;
    params.set('q', [q.value, ...[...q.params].map(([k, v]) => `;${k}=${v}`)].join(''));
  }
  const text = value + [...params].map(([k, v]) => `;${k}=${v}`).join('');
  const quality = parseFloatText(qValue);
  return quality === undefined ? { quality, text } : { value, quality, text };
}

/** Most preferred first: q descending, then text descending (CherryPy's reversed sort). */
function comparePreference(a: AcceptRange, b: AcceptRange): number {
  if (a.quality === b.quality) return a.text < b.text ? 1 : a.text > b.text ? -1 : 0;
  return a.quality < b.quality ? 1 : b.quality < a.quality ? -1 : 0;
}

/**
 * Picks the media type to answer with from `offered` (most preferred first), the way CherryPy's
 * `accept()` does. A missing or empty Accept header accepts anything.
 */
export function negotiate<T extends string>(
  acceptHeader: string | undefined,
  offered: readonly [T, ...T[]],
): NegotiationResult<T> {
  if (!acceptHeader) return { ok: true, mediaType: offered[0] };
  const ranges: AcceptRange[] = [];
  for (const range of splitOutsideQuotes(acceptHeader, ',').map(parseAcceptRange)) {
    if (range.quality === undefined) {
      return { ok: false, status: 400, message: `Malformed HTTP header: \`${range.text}\`` };
    }
    ranges.push(range);
  }

  ranges.sort(comparePreference);
  for (const range of ranges) {
    if (!(range.quality > 0)) continue; // NaN too, as in Python
    if (range.value === '*/*') return { ok: true, mediaType: offered[0] };
    if (range.value.endsWith('/*')) {
      const typePrefix = range.value.slice(0, -1);
      const match = offered.find((mediaType) => mediaType.startsWith(typePrefix));
      if (match !== undefined) return { ok: true, mediaType: match };
    } else {
      const match = offered.find((mediaType) => mediaType === range.value);
      if (match !== undefined) return { ok: true, mediaType: match };
    }
  }
  return {
    ok: false,
    status: 406,
    message:
      `Your client sent this Accept header: ${acceptHeader}.` +
      ` But this resource only emits these media types: ${offered.join(', ')}.`,
  };
}

/** Clients send the same few Accept headers again and again: their answers, kept (bounded). */
const RESPONSE_CHOICES = new Map<string, NegotiationResult<ResponseMediaType>>();
const MAX_REMEMBERED_CHOICES = 256;
const MAX_REMEMBERED_HEADER = 256;

/** The JSON-or-YAML choice every salt-api route with response formatting makes. */
export function negotiateResponse(acceptHeader: string | undefined): NegotiationResult<ResponseMediaType> {
  if (acceptHeader === undefined || acceptHeader.length > MAX_REMEMBERED_HEADER) {
    return negotiate(acceptHeader, RESPONSE_MEDIA_TYPES);
  }
  let result = RESPONSE_CHOICES.get(acceptHeader);
  if (result === undefined) {
    result = negotiate(acceptHeader, RESPONSE_MEDIA_TYPES);
    // A full table starts over: a client sending endless different headers costs a parse each, no memory.
    if (RESPONSE_CHOICES.size >= MAX_REMEMBERED_CHOICES) RESPONSE_CHOICES.clear();
    RESPONSE_CHOICES.set(acceptHeader, result);
  }
  return result;
}
