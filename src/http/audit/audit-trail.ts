/**
 * The audit log (`log_audit_file`, docs/decisions/0030-audit-log.md): the records of logins, failed
 * logins, logouts, lowstate chunks run and webhook deliveries, one JSON line each, written through
 * the log file's sink (a LogFile: reopened on SIGHUP, bounded in what waits for the disk, a write
 * problem reported and never thrown). The app has one only when the option is set.
 */
import proxyaddr from '@fastify/proxy-addr';
import type { FastifyRequest } from 'fastify';
import type { LineSink } from '../../log.js';
import { normalizeAddress } from '../auth/authorized-ips.js';
import { auditLine, type AuditEntry, type AuditOrigin } from './audit-record.js';

/** Lines waiting for the disk beyond this are dropped and counted (LogFile): a request never waits for it. */
export const AUDIT_LOG_MAX_PENDING_BYTES = 4 * 1024 * 1024;

/** A forwarded address longer than any address is cut: the header is the client's to write. */
const MAX_FORWARDED = 64;

export interface AuditTrailOptions {
  /** `trusted_proxies`: whose X-Forwarded-For is recorded as `forwarded_for`. */
  trustedProxies: readonly string[];
  /** Written in every record when the processes of `workers: N` share the file. */
  pid?: number | undefined;
  now?: () => Date;
}

export class AuditTrail {
  private readonly trust: ((address: string, hop: number) => boolean) | undefined;
  private readonly pid: number | undefined;
  private readonly now: () => Date;
  /** The requests whose records are written, or will be by a chunk that started (see {@link handled}). */
  private readonly recorded = new WeakSet<FastifyRequest>();

  constructor(
    private readonly sink: LineSink,
    options: AuditTrailOptions,
  ) {
    this.trust = options.trustedProxies.length > 0 ? proxyaddr.compile([...options.trustedProxies]) : undefined;
    this.pid = options.pid;
    this.now = options.now ?? (() => new Date());
  }

  /** Records the file dropped because the disk did not keep up (LogFile's `maxPendingBytes`). */
  get dropped(): number {
    return this.sink.dropped ?? 0;
  }

  /**
   * The socket's address, and — only when that address is a trusted proxy — the client address
   * X-Forwarded-For gives, read from the right up to the first hop that is not trusted. Fastify's
   * `request.ip` is left as it is (the socket's address) for everything else.
   */
  origin(request: FastifyRequest): AuditOrigin {
    const source = normalizeAddress(request.socket.remoteAddress ?? '');
    const origin: AuditOrigin = { source, request_id: request.id };
    if (this.trust === undefined || request.headers['x-forwarded-for'] === undefined) return origin;
    const hops = proxyaddr.all(request.raw, this.trust);
    const client = hops.length > 1 ? hops[hops.length - 1] : undefined;
    if (client !== undefined) origin.forwarded_for = client.slice(0, MAX_FORWARDED);
    return origin;
  }

  write(request: FastifyRequest, entry: AuditEntry): void {
    this.sink.write(auditLine(this.now(), this.origin(request), this.pid, entry));
  }

  /**
   * Notes that what `request` did has its records: a chunk started (its record follows when it
   * ends), a delivery was recorded. A failure of the request afterwards (an answer refused by
   * `Accept`, a chunk after a failed one) adds none.
   */
  handled(request: FastifyRequest): void {
    this.recorded.add(request);
  }

  /** Whether {@link handled} was called for `request`. */
  isHandled(request: FastifyRequest): boolean {
    return this.recorded.has(request);
  }
}
