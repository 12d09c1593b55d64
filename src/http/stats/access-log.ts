/**
 * The access log (docs/routes.md "Configuration, TLS and logging"): one line per request in
 * CherryPy's format, written when the response ends (streams and WebSockets when they close), to
 * the JSON log at info and to `log_access_file` when set. URLs go through `redactUrl`, so a token
 * in the URL never appears.
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { LineSink } from '../../log.js';
import { redactUrl } from './redact-url.js';
import { streamedBytes } from './streamed-bytes.js';

export interface AccessRecord {
  ip: string;
  /** When the response ended; printed in local time, as CherryPy does. */
  time: Date;
  method: string;
  /** Already redacted. */
  url: string;
  httpVersion: string;
  status: number;
  /** Content-Length of the response; absent or 0 prints `-`. */
  bytes?: number | undefined;
  referer?: string | undefined;
  userAgent?: string | undefined;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** CherryPy's `[%d/%b/%Y:%H:%M:%S]`, local time, English month names. */
export function formatAccessTime(time: Date): string {
  return (
    `[${pad(time.getDate())}/${MONTHS[time.getMonth()]}/${pad(time.getFullYear(), 4)}:` +
    `${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())}]`
  );
}

const NAMED_ESCAPES: Record<number, string> = { 9: '\\t', 10: '\\n', 13: '\\r' };

/**
 * CherryPy's escaping of a log atom: `"` becomes `\"`, and the UTF-8 bytes outside printable
 * ASCII are written as Python's bytes repr does (`\t`, `\n`, `\r`, `\xNN`). No line breaks survive.
 */
export function escapeAtom(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value.replaceAll('"', '\\"'), 'utf8')) {
    if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += NAMED_ESCAPES[byte] ?? `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** `<ip> - - [time] "<request line>" <status> <bytes or -> "<referer>" "<user agent>"` (no newline). */
export function formatAccessLine(record: AccessRecord): string {
  const requestLine = `${record.method} ${record.url} HTTP/${record.httpVersion}`;
  const bytes = record.bytes !== undefined && record.bytes > 0 ? String(record.bytes) : '-';
  return (
    `${escapeAtom(record.ip)} - - ${formatAccessTime(record.time)} "${escapeAtom(requestLine)}" ` +
    `${record.status} ${bytes} "${escapeAtom(record.referer ?? '')}" "${escapeAtom(record.userAgent ?? '')}"`
  );
}

/** A Referer naming one of our own token-bearing URLs is cut the same way. */
export function redactReferer(referer: string, rootPrefix: string): string {
  let url: URL;
  try {
    url = new URL(referer);
  } catch {
    return referer;
  }
  const pathAndQuery = url.pathname + url.search;
  const redacted = redactUrl(pathAndQuery, rootPrefix);
  return redacted === pathAndQuery ? referer : `${url.origin}${redacted}`;
}

/** Where access lines go besides the JSON log (`log_access_file`: a LogFile), each with its newline. */
export type AccessLogSink = LineSink;

/** Lines waiting for the disk beyond this are dropped: a request never waits for the disk. */
export const ACCESS_LOG_MAX_PENDING_BYTES = 1024 * 1024;

export interface AccessLogOptions {
  rootPrefix: string;
  /** `log_access_file`; without it access lines go to the JSON log only. */
  file?: AccessLogSink | undefined;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Whether a logger writes info lines (a logger that cannot say is taken to write them). */
function infoEnabled(log: FastifyBaseLogger): boolean {
  return (log as Partial<Pick<Logger, 'isLevelEnabled'>>).isLevelEnabled?.('info') ?? true;
}

/**
 * Logs every request when its response ends. Install before the other hooks (one of them may
 * answer early). A WebSocket's line is written when its socket closes, with status 101.
 */
export function installAccessLog(app: FastifyInstance, options: AccessLogOptions): void {
  app.addHook('onRequest', (request, reply, done) => {
    // A line nobody reads is not made: the log is above info and there is no access file.
    if (options.file === undefined && !infoEnabled(request.log)) {
      done();
      return;
    }
    const raw = reply.raw;
    // Read now: by 'close' the socket may be gone (and injected requests have no address).
    const ip: string | undefined = request.ip;
    // 'close' comes for every response: finished, hijacked (SSE), aborted, or upgraded (the
    // WebSocket plugin's stand-in response closes with the socket).
    raw.once('close', () => {
      const upgraded = request.headers.upgrade?.toLowerCase() === 'websocket' && !raw.headersSent;
      // Fastify hands its headers to writeHead, so the raw response does not know them.
      const length = Number(reply.getHeader('content-length') ?? raw.getHeader('content-length') ?? streamedBytes(raw));
      const referer = headerValue(request.headers.referer);
      const record: AccessRecord = {
        ip: ip ?? '-',
        time: new Date(),
        method: request.method,
        url: redactUrl(request.raw.url ?? request.url, options.rootPrefix),
        httpVersion: request.raw.httpVersion,
        status: upgraded ? 101 : raw.statusCode,
        bytes: Number.isFinite(length) ? length : undefined,
        referer: referer === undefined ? undefined : redactReferer(referer, options.rootPrefix),
        userAgent: headerValue(request.headers['user-agent']),
      };
      const line = formatAccessLine(record);
      request.log.info(
        {
          access: {
            remoteAddress: record.ip,
            method: record.method,
            url: record.url,
            status: record.status,
            bytes: record.bytes,
            referer: record.referer,
            userAgent: record.userAgent,
            responseTimeMs: reply.elapsedTime,
          },
        },
        line,
      );
      options.file?.write(`${line}\n`);
    });
    done();
  });
}
