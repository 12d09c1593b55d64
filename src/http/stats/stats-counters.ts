/**
 * The counters behind `/stats`: what the hooks and the server's `connection` event add to. The hot
 * path only adds to plain numbers; the per-request records CherryPy shows are kept (in a fixed
 * ring) only with `collect_stats`. The document itself is built from a snapshot by stats-report.ts.
 */
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { statsReport, type ReportSources, type RequestRecord, type StatsSnapshot } from './stats-report.js';
import { RouteCounter, UNMATCHED_ROUTE } from './stats-route.js';
import { streamedBytes } from './streamed-bytes.js';

const emptyRecord = (): RequestRecord => ({
  seq: 0,
  method: '',
  route: '',
  httpVersion: '',
  ip: '',
  port: 0,
  start: 0,
  elapsedMs: 0,
  status: 0,
  bytesRead: 0,
  bytesWritten: 0,
});

/** The report's sources, and how much the counters keep. */
export interface StatsSources extends ReportSources {
  // Passed on from StatsOptions as they are: `undefined` means the default.
  slowQueryMs?: number | undefined;
  slowQueryLimit?: number | undefined;
  recentRequests?: number | undefined;
  now?: () => number;
  /**
   * How long a request took, in milliseconds (default: Fastify's `reply.elapsedTime`). Tests give
   * each request its duration here, so that which ones count as slow does not depend on how busy
   * the machine running them is.
   */
  elapsedMs?: ((reply: FastifyReply) => number) | undefined;
}

function byteCount(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return 0;
  const count = Number(value);
  return count > 0 ? count : 0;
}

export class ServerStats {
  private readonly now: () => number;
  private readonly elapsedMs: (reply: FastifyReply) => number;
  private readonly startedAt: number;
  private readonly slowQueryMs: number;
  private readonly slowQueryLimit: number;

  private requests = 0;
  private inFlight = 0;
  private completed = 0;
  private timeMs = 0;
  private bytesIn = 0;
  private bytesOut = 0;
  /** Index n counts the `n`xx answers. */
  private readonly statusClasses = [0, 0, 0, 0, 0, 0];
  private readonly routes = new Map<string, RouteCounter>();
  private slowTotal = 0;
  private readonly slowQueries: RequestRecord[] = [];
  private readonly recent: RequestRecord[];

  private readonly sockets = new Set<Socket>();
  private accepted = 0;
  private closedBytesRead = 0;
  private closedBytesWritten = 0;
  private clientErrors = 0;

  constructor(private readonly sources: StatsSources) {
    this.now = sources.now ?? Date.now;
    this.elapsedMs = sources.elapsedMs ?? ((reply) => reply.elapsedTime);
    this.startedAt = this.now();
    this.slowQueryMs = sources.slowQueryMs ?? 1_000;
    this.slowQueryLimit = sources.slowQueryLimit ?? 20;
    this.recent = Array.from({ length: sources.collectStats ? (sources.recentRequests ?? 16) : 0 }, emptyRecord);
  }

  /**
   * Counted when the request starts: a stream is counted while it is open, a WebSocket upgrade never
   * finishes. Returns the counter of the route, for requestFinished.
   */
  requestStarted(request: FastifyRequest, reply: FastifyReply): RouteCounter {
    const key = request.routeOptions.url ?? UNMATCHED_ROUTE;
    let route = this.routes.get(key);
    if (route === undefined) {
      route = new RouteCounter(key);
      this.routes.set(key, route);
    }
    route.requests++;
    this.requests++;
    this.inFlight++;
    this.bytesIn += byteCount(request.headers['content-length']);
    // 'close' comes for every response, hijacked or aborted ones included.
    reply.raw.on('close', this.responseClosed);
    return route;
  }

  private readonly responseClosed = (): void => {
    this.inFlight--;
  };

  /** `route` is what requestStarted returned, or null when it never ran for this request. */
  requestFinished(request: FastifyRequest, reply: FastifyReply, route: RouteCounter | null): void {
    const elapsedMs = this.elapsedMs(reply);
    const status = reply.statusCode;
    const bytesWritten = byteCount(reply.getHeader('content-length')) || (streamedBytes(reply.raw) ?? 0);
    this.completed++;
    this.timeMs += elapsedMs;
    this.bytesOut += bytesWritten;
    const statusClass = Math.min(Math.floor(status / 100), 5);
    this.statusClasses[statusClass] = (this.statusClasses[statusClass] ?? 0) + 1;
    if (route !== null) {
      route.completed++;
      route.timeMs += elapsedMs;
      if (status >= 500) route.serverErrors++;
      else if (status >= 400) route.clientErrors++;
    }
    const isSlow = elapsedMs > this.slowQueryMs;
    if (this.recent.length === 0 && !isSlow) return;
    const record = this.recent.length > 0 ? this.recent[this.completed % this.recent.length] : undefined;
    const target = record ?? emptyRecord();
    target.seq = this.completed;
    target.method = request.method;
    target.route = route?.url ?? UNMATCHED_ROUTE;
    target.httpVersion = request.raw.httpVersion;
    target.ip = request.ip;
    target.port = request.socket.remotePort ?? 0;
    target.start = this.now() - elapsedMs;
    target.elapsedMs = elapsedMs;
    target.status = status;
    target.bytesRead = byteCount(request.headers['content-length']);
    target.bytesWritten = bytesWritten;
    if (isSlow) this.noteSlow(target === record ? { ...target } : target);
  }

  private noteSlow(record: RequestRecord): void {
    this.slowTotal++;
    this.slowQueries.push(record);
    if (this.slowQueries.length > this.slowQueryLimit) this.slowQueries.shift();
  }

  connectionOpened(socket: Socket): void {
    this.accepted++;
    this.sockets.add(socket);
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.closedBytesRead += socket.bytesRead;
      this.closedBytesWritten += socket.bytesWritten;
    });
  }

  clientError(): void {
    this.clientErrors++;
  }

  /**
   * The whole `/stats` document. Any logged-in user may read it, so the request records show a
   * client address only to that client itself (`viewer`); other clients' are redacted.
   */
  report(viewer?: string): Record<string, unknown> {
    let bytesRead = this.closedBytesRead;
    let bytesWritten = this.closedBytesWritten;
    for (const socket of this.sockets) {
      bytesRead += socket.bytesRead;
      bytesWritten += socket.bytesWritten;
    }
    const snapshot: StatsSnapshot = {
      now: this.now(),
      startedAt: this.startedAt,
      requests: this.requests,
      inFlight: this.inFlight,
      completed: this.completed,
      timeMs: this.timeMs,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      statusClasses: this.statusClasses,
      routes: this.routes,
      slowTotal: this.slowTotal,
      slowQueries: this.slowQueries,
      recent: this.recent,
      openConnections: this.sockets.size,
      accepted: this.accepted,
      bytesRead,
      bytesWritten,
      clientErrors: this.clientErrors,
    };
    return statsReport(snapshot, this.sources, viewer);
  }
}
