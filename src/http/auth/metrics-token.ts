/**
 * `metrics_token_file`: a bearer token, read from a file, that opens the metrics to a scraper
 * (Prometheus' `authorization: {credentials_file: …}` sends `Authorization: Bearer <token>`). The
 * file is read at start (an unreadable or empty file stops the start) and again when it changes,
 * looked at no more than once a second, so a rotated token is taken without a restart; while a
 * changed file cannot be read, the token read last stays. Only a digest of the token is held, and
 * a presented token is compared with it in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { StartupError } from '../../startup-error.js';

const RECHECK_MS = 1_000;
/** Shorter tokens are accepted, with a warning at start. */
export const WEAK_TOKEN_CHARS = 16;

export interface MetricsTokenOptions {
  /** Told once per failure to re-read a changed file (the token read last stays). */
  onReloadFailure?: (error: Error) => void;
  now?: () => number;
}

const digestOf = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** The file's identity and version: a change of any of them is a new token to read. */
function versionOf(path: string): string {
  const stats = statSync(path);
  return `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
}

export class MetricsToken {
  private digest: Buffer;
  private version: string;
  private checkedAt: number;
  private failing = false;
  private tokenLength = 0;
  private readonly now: () => number;

  /** Reads the token; a StartupError says why it cannot be used. */
  constructor(
    private readonly path: string,
    private readonly options: MetricsTokenOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    try {
      this.version = versionOf(path);
      this.digest = this.read();
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new StartupError(`Cannot use ${path} (metrics_token_file): ${reason}`, { cause });
    }
    this.checkedAt = this.now();
  }

  /** The token's length is below {@link WEAK_TOKEN_CHARS}: worth a warning. */
  get weak(): boolean {
    return this.tokenLength < WEAK_TOKEN_CHARS;
  }

  /** Whether `presented` is the file's token (read again first if the file changed). */
  matches(presented: string): boolean {
    this.refresh();
    return timingSafeEqual(digestOf(presented), this.digest);
  }

  /** The token: the file's text without surrounding white space, never empty. */
  private read(): Buffer {
    const token = readFileSync(this.path, 'utf8').trim();
    if (token === '') throw new Error('the file holds no token');
    if (/\s/.test(token)) throw new Error('the token must be one word (no white space inside)');
    this.tokenLength = token.length;
    return digestOf(token);
  }

  private refresh(): void {
    const now = this.now();
    if (now - this.checkedAt < RECHECK_MS) return;
    this.checkedAt = now;
    try {
      const version = versionOf(this.path);
      if (version === this.version) return;
      this.digest = this.read();
      this.version = version;
      this.failing = false;
    } catch (error) {
      if (!this.failing) this.options.onReloadFailure?.(error instanceof Error ? error : new Error(String(error)));
      this.failing = true;
    }
  }
}

/** The token of an `Authorization: Bearer <token>` header; undefined for any other header or none. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
  return match?.[1];
}
