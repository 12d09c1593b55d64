/**
 * The minion id `POST /keys` generates a key for, and the archive name it answers with. Salt
 * stores the key under `<pki_dir>/minions/<id>`: `salt.utils.verify.valid_id` refuses ids with
 * `/`, `\` or NUL and ids that `clean_path` cannot keep inside that directory (empty, `.`, `..`).
 * Control characters are refused as well: the id is echoed in a response header.
 */
import type { SaltValue } from '../../salt/codec/values.js';
import { HttpError } from '../transport/errors.js';

const PATH_CHARACTERS = /[/\\\u0000]/;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
/** A file name component: Salt writes the key to a file named after the id. */
const MAX_ID_BYTES = 255;

function invalidId(reason: string): HttpError {
  return new HttpError(400, `Invalid minion id in 'mid': ${reason}`, { shape: 'envelope' });
}

/** The id as text, or 400 in salt-api's envelope for one Salt would refuse (or that is missing). */
export function minionIdOf(mid: SaltValue): string {
  if (mid === undefined || mid === null) throw invalidId("'mid' is required");
  if (typeof mid !== 'string' && !(typeof mid === 'number' && Number.isSafeInteger(mid))) {
    throw invalidId('it must be a string');
  }
  const id = String(mid);
  if (id === '' || id === '.' || id === '..') throw invalidId(`${JSON.stringify(id)} is not a file name`);
  if (PATH_CHARACTERS.test(id)) throw invalidId('it contains "/", "\\\\" or NUL');
  if (CONTROL_CHARACTERS.test(id)) throw invalidId('it contains control characters');
  if (Buffer.byteLength(id, 'utf8') > MAX_ID_BYTES) throw invalidId(`it is longer than ${MAX_ID_BYTES} bytes`);
  return id;
}

const HEADER_SAFE_ASCII = /^[\u0020-\u007e]*$/;

/**
 * `attachment; filename="<name>"`; a name that is not plain ASCII, or holds `"` or `\`, gets an
 * ASCII stand-in there and its exact UTF-8 form in `filename*` (RFC 6266).
 */
export function attachmentDisposition(name: string): string {
  if (HEADER_SAFE_ASCII.test(name) && !/["\\]/.test(name)) return `attachment; filename="${name}"`;
  const fallback = name.replace(/[^\u0020-\u007e]|["\\]/gu, '_');
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}
