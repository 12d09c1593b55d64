/**
 * Request bodies as salt-api's hypermedia_in tool reads them (docs/routes.md "Request bodies").
 * One parser takes every content type so that the media type is matched without its parameters
 * and anything unlisted — or a body without Content-Type — gets CherryPy's 406.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { assertWithinLimits, REQUEST_VALUE_LIMITS, ValueTooLargeError } from '../../value-bounds.js';
import { loadYaml, SALT_REQUEST_YAML_SCHEMA } from '../../python/yaml11.js';
import { jsonLoads } from '../../python/json-loads.js';
import { yamlifyArg } from '../../python/yamlify.js';
import { HttpError } from './errors.js';
import { jsonNestingExceeds } from './json-depth.js';
import { PLUGIN } from '../plugin-names.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body as received (UTF-8 text; the undecoded form string for urlencoded); "" when none. */
    rawBody: string;
  }
}

/** Nesting allowed in a request body (REQUEST_VALUE_LIMITS: the same bound for JSON, YAML and text). */
export const MAX_BODY_DEPTH = REQUEST_VALUE_LIMITS.maxDepth;

/**
 * salt-api's urlencoded_processor: fields → keys, repeats → lists, `arg`/`kwarg` yamlified. A field
 * whose YAML is too large or too deep stays text, as yamlify keeps anything it cannot load; many
 * fields that are each within bounds but together are not make the body a 413.
 */
export function parseUrlencoded(form: string): Record<string, unknown> {
  const fields = new Map<string, string[]>();
  // The leading `&` keeps URLSearchParams from eating a `?` that Python's parse_qsl would keep.
  for (const [key, value] of new URLSearchParams(`&${form}`)) {
    // parse_qsl's default drops fields with empty values.
    if (value === '') continue;
    const values = fields.get(key);
    if (values) values.push(value);
    else fields.set(key, [value]);
  }
  const data = new Map<string, unknown>();
  for (const [key, values] of fields) data.set(key, values.length === 1 ? values[0] : values);

  if (data.has('kwarg')) data.set('kwarg', yamlifyArg(data.get('kwarg')));
  const arg = data.get('arg');
  if (Array.isArray(arg))
    data.set(
      'arg',
      arg.map((item) => yamlifyArg(item)),
    );
  else if (arg !== undefined) data.set('arg', [yamlifyArg(arg)]);
  // fromEntries defines own properties, so a field named __proto__ stays a plain key.
  const parsed = Object.fromEntries(data) as Record<string, unknown>;
  try {
    assertWithinLimits(parsed, REQUEST_VALUE_LIMITS);
  } catch (error) {
    if (!(error instanceof ValueTooLargeError)) throw error;
    throw new HttpError(413, `The request body ${error.message}.`, { shape: 'envelope', cause: error });
  }
  return parsed;
}

/** Text that opens a JSON array or object (after whitespace). */
const LOOKS_LIKE_JSON_CONTAINER = /^\s*[[{]/;

function parseJsonDocument(text: string): unknown {
  if (jsonNestingExceeds(text, MAX_BODY_DEPTH)) throw new HttpError(400, 'Invalid JSON document');
  try {
    return jsonLoads(text);
  } catch {
    throw new HttpError(400, 'Invalid JSON document');
  }
}

function parseYamlDocument(text: string): unknown {
  try {
    return loadYaml(text, undefined, SALT_REQUEST_YAML_SCHEMA);
  } catch {
    throw new HttpError(400, 'Invalid YAML document');
  }
}

function parsePlainText(text: string): unknown {
  if (jsonNestingExceeds(text, MAX_BODY_DEPTH)) {
    // Too deep to be taken as JSON: refused when it is meant as JSON, plain text otherwise.
    if (LOOKS_LIKE_JSON_CONTAINER.test(text)) throw new HttpError(400, 'Invalid JSON document');
    return text;
  }
  try {
    return jsonLoads(text);
  } catch {
    return text;
  }
}

const BODY_PARSERS: ReadonlyMap<string, (text: string) => unknown> = new Map([
  ['application/x-www-form-urlencoded', parseUrlencoded],
  ['application/json', parseJsonDocument],
  ['application/x-yaml', parseYamlDocument],
  ['text/yaml', parseYamlDocument],
  ['text/plain', parsePlainText],
]);

/**
 * The parsed body for a media type (without parameters), as the routes receive it; throws the
 * HttpError the request is answered with (400, 413) or 406 for a media type salt-api does not read.
 */
export function parseBodyText(mediaType: string, text: string): unknown {
  const parse = BODY_PARSERS.get(mediaType);
  if (parse === undefined) throw new HttpError(406, 'Content type not supported');
  return parse(text);
}

function mediaTypeOf(contentType: string | undefined): string {
  const [mediaType = ''] = (contentType ?? '').split(';', 1);
  return mediaType.trim().toLowerCase();
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** What a body that is not text is refused with, by media type (the parsers' own messages). */
function undecodable(mediaType: string): HttpError {
  if (mediaType === 'application/json') return new HttpError(400, 'Invalid JSON document');
  if (mediaType.endsWith('yaml')) return new HttpError(400, 'Invalid YAML document');
  return new HttpError(400, 'The request body is not UTF-8 text');
}

/**
 * The body as text. Bytes that are not UTF-8 are refused rather than replaced with U+FFFD: the
 * job would run with other text than the client sent (salt-api fails on them with a 500).
 */
async function readText(payload: IncomingMessage, mediaType: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of payload) chunks.push(chunk as Buffer);
  try {
    return strictUtf8.decode(Buffer.concat(chunks));
  } catch {
    throw undecodable(mediaType);
  }
}

/** A `\uD800`-`\uDFFF` escape: JSON and YAML text can spell a lone surrogate with it. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether any string (or key) in a parsed body holds a lone surrogate, which no UTF-8 can carry. */
function holdsLoneSurrogate(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === 'string') {
      if (LONE_SURROGATE.test(item)) return true;
    } else if (Array.isArray(item)) {
      pending.push(...(item as unknown[]));
    } else if (typeof item === 'object' && item !== null && !(item instanceof Date)) {
      for (const [key, inner] of Object.entries(item)) pending.push(key, inner);
    }
  }
  return false;
}

export interface BodyParsersOptions {
  /** `max_request_body_size`. */
  limitBytes: number;
}

/**
 * The body parsers. `limitBytes` is `max_request_body_size`: a larger declared body is
 * refused with 413 before any of it is read. A body that is not read — chunked (salt-api's "no
 * data"), too large, or refused before parsing (401, 404, 405) — is never read afterwards either:
 * the answer closes the connection instead of letting Node drain the rest into the void.
 */
async function bodyParsers(app: FastifyInstance, { limitBytes }: BodyParsersOptions): Promise<void> {
  app.decorateRequest('rawBody', '');
  app.addHook('onSend', async (request, reply) => {
    if (!request.raw.complete) reply.header('Connection', 'close');
  });
  // No 411 here: which request without a length is refused, and after which checks, depends on
  // the resource (request-length.ts: the 405 routes of routes/methods.ts and the 404 handler). A
  // route that takes the method reads such a request as one without a body.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', async (request: FastifyRequest, payload: IncomingMessage) => {
    if (request.is404) return undefined;
    // salt-api reads no body unless Content-Length says there is one (a chunked body is "no data").
    const contentLength = request.headers['content-length'];
    if (contentLength === undefined || contentLength === '0') return undefined;
    if (Number(contentLength) > limitBytes) {
      throw new HttpError(413, `The request body exceeds max_request_body_size (${limitBytes} bytes).`, {
        shape: 'envelope',
      });
    }
    const mediaType = mediaTypeOf(request.headers['content-type']);
    if (!BODY_PARSERS.has(mediaType)) throw new HttpError(406, 'Content type not supported');
    const text = await readText(payload, mediaType);
    request.rawBody = text;
    const parsed = parseBodyText(mediaType, text);
    // Salt cannot send a lone surrogate to the master (Python fails to encode it): refuse it here.
    if (SURROGATE_ESCAPE.test(text) && holdsLoneSurrogate(parsed)) throw undecodable(mediaType);
    return parsed;
  });
}

/**
 * The routes take their parsers from the instance they are registered in: they come after this
 * plugin (they name it). It answers nothing itself before a route is found (no 411 here, decision
 * 0022), so it needs no place among the early hooks.
 */
export const bodyParsersPlugin = fp(bodyParsers, { name: PLUGIN.bodyParsers });
