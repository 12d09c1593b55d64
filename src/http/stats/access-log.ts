/**
 * The access log (docs/routes.md "Configuration, TLS and logging"): one line per request in
 * CherryPy's format, written when the response ends (streams and WebSockets when they close), to
 * the JSON log at info and to `log_access_file` when set. URLs go through `redactUrl`, so a token
 * in the URL never appears.
 */
import { closeSync, openSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
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

/** Where access lines go besides the JSON log. */
export interface AccessLogSink {
  write(line: string): void;
}

export interface AccessLogFileOptions {
  /** Lines waiting for the disk beyond this many bytes are dropped (default 1 MiB). */
  maxPendingBytes?: number;
  /** Told when the file fails, and when lines start being dropped. */
  onProblem?: (message: string, err?: Error) => void;
}

const DEFAULT_MAX_PENDING_BYTES = 1024 * 1024;

/**
 * `log_access_file`: an append-mode file behind pino's asynchronous file writer (SonicBoom), the
 * same writer as `log_error_file`. Bounded: when the disk cannot keep up, the writer drops the
 * lines that would take its buffer past `maxPendingBytes`, and they are counted; a request never
 * waits for the disk. A failed write is retried with the next line. `reopen()` (SIGHUP) starts a
 * fresh file at the same path after logrotate moved the old one away; when the path cannot be
 * opened, the current file is kept.
 */
export class AccessLogFile implements AccessLogSink {
  private readonly sonic: ReturnType<typeof pino.destination>;
  private pending = 0;
  private closed = false;
  private dropping = false;
  private failing = false;
  private droppedLines = 0;
  private readonly onProblem: (message: string, err?: Error) => void;

  /** Throws (synchronously) when the file cannot be opened for appending. */
  constructor(
    readonly path: string,
    options: AccessLogFileOptions = {},
  ) {
    this.onProblem = options.onProblem ?? (() => {});
    closeSync(openSync(path, 'a'));
    this.sonic = pino.destination({
      dest: path,
      append: true,
      sync: false,
      maxLength: options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES,
    });
    this.sonic.on('drop', () => this.onDrop());
    this.sonic.on('error', (err: Error) => this.onError(err));
    this.sonic.on('write', (bytes: number) => this.onWritten(bytes));
  }

  /** Lines dropped so far (the file was slow or failing). */
  get dropped(): number {
    return this.droppedLines;
  }

  /** Bytes accepted and not yet on disk; never more than `maxPendingBytes`. */
  get pendingBytes(): number {
    return this.pending;
  }

  write(line: string): void {
    if (this.closed) return;
    const text = `${line}\n`;
    const droppedBefore = this.droppedLines;
    this.sonic.write(text);
    if (this.droppedLines !== droppedBefore) return;
    this.pending += Buffer.byteLength(text);
    if (this.dropping) {
      this.dropping = false;
      this.onProblem(`${this.path}: access log writing again (${this.droppedLines} lines dropped so far)`);
    }
  }

  /** Reopens the file at `path`; on failure the current file is kept and the problem reported. */
  reopen(): void {
    if (this.closed) return;
    try {
      closeSync(openSync(this.path, 'a'));
    } catch (err) {
      this.onProblem(`${this.path}: cannot reopen the access log`, err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.sonic.reopen();
  }

  /** Writes what is buffered, then closes the file. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => {
      this.sonic.once('close', () => resolve());
      // A file that cannot be written any more is given up rather than waited for.
      this.sonic.once('error', () => resolve());
      this.sonic.end();
    });
  }

  private onDrop(): void {
    this.droppedLines++;
    if (!this.dropping && !this.failing) this.onProblem(`${this.path}: access log cannot keep up, dropping lines`);
    this.dropping = true;
  }

  private onError(err: Error): void {
    if (this.failing) return;
    this.failing = true;
    this.onProblem(`${this.path}: access log write failed, retrying with the next line`, err);
  }

  private onWritten(bytes: number): void {
    this.pending = Math.max(0, this.pending - bytes);
    if (!this.failing) return;
    this.failing = false;
    this.onProblem(`${this.path}: access log writing again`);
  }
}

export interface AccessLogOptions {
  rootPrefix: string;
  /** `log_access_file`; without it access lines go to the JSON log only. */
  file?: AccessLogSink | undefined;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Logs every request when its response ends. Install before the other hooks (one of them may
 * answer early). A WebSocket's line is written when its socket closes, with status 101.
 */
export function installAccessLog(app: FastifyInstance, options: AccessLogOptions): void {
  app.addHook('onRequest', (request, reply, done) => {
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
      options.file?.write(line);
    });
    done();
  });
}
