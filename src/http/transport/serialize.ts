/**
 * Response bodies exactly as salt-api writes them (docs/routes.md "Responses"): Python's
 * `json.dumps` or salt-api's YAML.
 */
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { DeferredValue } from '../../python/deferred.js';
import { jsonDumps } from '../../python/json-dumps.js';
import { jsonDumpsChunks } from '../../python/json-chunks.js';
import { dumpYaml, dumpYamlChunks } from '../../python/yaml-dump.js';
import { YAML_MEDIA_TYPE, type ResponseMediaType } from './negotiate.js';

export function serialize(value: unknown, mediaType: ResponseMediaType): string {
  return mediaType === YAML_MEDIA_TYPE ? dumpYaml(value) : jsonDumps(value);
}

/** Below these, an answer is written whole, in one call (most answers: a login, a ping, GET /). */
const SMALL_NODES = 512;
const SMALL_TEXT = 64 * 1024;

/**
 * Whether a value is small enough to be written whole: at most {@link SMALL_NODES} values and
 * {@link SMALL_TEXT} characters of text, counted as the walk meets them and stopped as soon as
 * either is passed (so a large answer, however wide, costs a few hundred steps to tell).
 */
function isSmall(value: unknown): boolean {
  const pending: unknown[] = [value];
  let nodes = 1;
  let text = 0;
  /** Counts one more value to look at; false once there are too many. */
  const meet = (entry: unknown): boolean => {
    pending.push(entry);
    return ++nodes <= SMALL_NODES;
  };
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === 'string') {
      if ((text += item.length) > SMALL_TEXT) return false;
    } else if (item instanceof Uint8Array) {
      if ((text += item.length * 2) > SMALL_TEXT) return false;
    } else if (item instanceof DeferredValue) {
      if ((text += item.size * 2) > SMALL_TEXT) return false;
    } else if (Array.isArray(item)) {
      for (const entry of item) if (!meet(entry)) return false;
    } else if (item instanceof Map) {
      for (const [key, entry] of item) if (!meet(key) || !meet(entry)) return false;
    } else if (item !== null && typeof item === 'object') {
      for (const key in item) {
        if ((text += key.length) > SMALL_TEXT) return false;
        if (!meet((item as Record<string, unknown>)[key])) return false;
      }
    }
  }
  return true;
}

/**
 * A response body: one Buffer when the text is small (with a Content-Length, as before), else a
 * stream of the text as it is written (json-chunks.ts, yaml-dump.ts), pulled by the socket: a
 * 100 MB answer is never one string, and other requests and streams get the event loop between its
 * chunks. The first two chunks are written here, so that a value that cannot be written fails
 * before anything is sent.
 */
export function serializeBody(
  value: unknown,
  mediaType: ResponseMediaType,
  /** Told the bytes written so far as a stream goes out (the access log and /stats count them). */
  onBytes: (written: number) => void = () => undefined,
): Buffer | Readable {
  if (isSmall(value)) return Buffer.from(serialize(value, mediaType), 'utf8');
  const chunks = mediaType === YAML_MEDIA_TYPE ? dumpYamlChunks(value) : jsonDumpsChunks(value);
  const first = chunks.next();
  const head = first.done === true ? '' : first.value;
  const second = chunks.next();
  if (second.done === true) return Buffer.from(head, 'utf8');
  let written = 0;
  const counted = (text: string): Buffer => {
    const bytes = Buffer.from(text, 'utf8');
    onBytes((written += bytes.length));
    return bytes;
  };
  return Readable.from(
    (async function* (): AsyncGenerator<Buffer> {
      yield counted(head);
      yield counted(second.value);
      for (const chunk of chunks) {
        yield counted(chunk);
        // A socket that takes all it is given (a client on the same host) would otherwise pull
        // the whole answer in one turn of the loop: every other request and stream gets a turn
        // between two chunks.
        await nextTurn();
      }
    })(),
    { objectMode: false },
  );
}
