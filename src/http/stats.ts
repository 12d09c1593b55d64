/**
 * Server statistics for `/stats` (docs/routes.md "GET /stats"): counters kept by two hooks and the
 * server's `connection` event, turned into CherryPy's statistics tree plus salt-apid's own block
 * only when `/stats` is read. The hot path only adds to plain numbers; the per-request records
 * CherryPy shows are kept (in a fixed ring) only with `collect_stats`.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { StreamStats } from './streams.js';

/** The master connection's own figures (request channel and event bus), e.g. `SaltMaster.stats()`. */
export type MasterStatsProvider = () => object;

export interface StatsOptions {
  /** Shown as `Server Version`, like the `Server` header. */
  serverVersion: string;
  masterStats?: MasterStatsProvider | undefined;
  /** A request taking longer than this is kept as a slow query (default 1 s). */
  slowQueryMs?: number;
  /** How many slow queries are kept, newest last (default 20). */
  slowQueryLimit?: number;
  /** How many finished requests the `collect_stats` record shows (default 16). */
  recentRequests?: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Counters behind `/stats` (decorated by statsPlugin, stats-plugin.ts). */
    serverStats: ServerStats;
  }
  interface FastifyRequest {
    /** The counter of the route that matched, set when the request starts. */
    statsRoute: RouteCounter | null;
  }
}

/** Requests no route matched are counted under this key, never under their URL. */
export const UNMATCHED_ROUTE = '(no route)';

export class RouteCounter {
  constructor(readonly url: string) {}
  requests = 0;
  completed = 0;
  clientErrors = 0;
  serverErrors = 0;
  timeMs = 0;
}

/** One finished request; `seq` 0 marks an unused slot of the ring. */
interface RequestRecord {
  seq: number;
  method: string;
  /** The route template, never the URL: tokens can travel in URLs (/events, /ws). */
  route: string;
  httpVersion: string;
  ip: string;
  port: number;
  start: number;
  elapsedMs: number;
  status: number;
  bytesRead: number;
  bytesWritten: number;
}

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

/** What the report reads from the rest of the application when `/stats` is asked. */
export interface StatsSources {
  collectStats: boolean;
  threadPool: number;
  serverVersion: string;
  bindAddress: () => [string, number];
  streams: () => StreamStats;
  sessions: () => number;
  masterAvailable: () => boolean;
  // Passed on from StatsOptions as they are: `undefined` means the default.
  masterStats?: MasterStatsProvider | undefined;
  slowQueryMs?: number | undefined;
  slowQueryLimit?: number | undefined;
  recentRequests?: number | undefined;
  now?: () => number;
}

function byteCount(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return 0;
  const count = Number(value);
  return count > 0 ? count : 0;
}

/** What a request record shows as its client when the reader of `/stats` is someone else. */
export const REDACTED_CLIENT = '[redacted]';

/** The `Client` a record shows to the reader of the report. */
type ClientOf = (record: RequestRecord) => string;

const perUnit = (total: number, units: number): number => (units > 0 ? total / units : 0);
const seconds = (ms: number): number => ms / 1000;

export class ServerStats {
  private readonly now: () => number;
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
    this.startedAt = this.now();
    this.slowQueryMs = sources.slowQueryMs ?? 1_000;
    this.slowQueryLimit = sources.slowQueryLimit ?? 20;
    this.recent = Array.from({ length: sources.collectStats ? (sources.recentRequests ?? 16) : 0 }, emptyRecord);
  }

  /** Counted when the request starts: a stream is counted while it is open, a WebSocket upgrade never finishes. */
  requestStarted(request: FastifyRequest, reply: FastifyReply): void {
    const key = request.routeOptions.url ?? UNMATCHED_ROUTE;
    let route = this.routes.get(key);
    if (route === undefined) {
      route = new RouteCounter(key);
      this.routes.set(key, route);
    }
    route.requests++;
    request.statsRoute = route;
    this.requests++;
    this.inFlight++;
    this.bytesIn += byteCount(request.headers['content-length']);
    // 'close' comes for every response, hijacked or aborted ones included.
    reply.raw.on('close', this.responseClosed);
  }

  private readonly responseClosed = (): void => {
    this.inFlight--;
  };

  requestFinished(request: FastifyRequest, reply: FastifyReply): void {
    const elapsedMs = reply.elapsedTime;
    const status = reply.statusCode;
    const bytesWritten = byteCount(reply.getHeader('content-length'));
    this.completed++;
    this.timeMs += elapsedMs;
    this.bytesOut += bytesWritten;
    const statusClass = Math.min(Math.floor(status / 100), 5);
    this.statusClasses[statusClass] = (this.statusClasses[statusClass] ?? 0) + 1;
    const route = request.statsRoute;
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
    const client = (record: RequestRecord): string =>
      viewer !== undefined && record.ip === viewer ? `${record.ip}:${record.port}` : REDACTED_CLIENT;
    const now = this.now();
    const uptime = seconds(now - this.startedAt);
    let bytesRead = this.closedBytesRead;
    let bytesWritten = this.closedBytesWritten;
    for (const socket of this.sockets) {
      bytesRead += socket.bytesRead;
      bytesWritten += socket.bytesWritten;
    }
    return {
      'CherryPy Applications': this.applicationBlock(now, uptime, client),
      [`Cheroot HTTPServer ${process.pid}`]: this.serverBlock(uptime, bytesRead, bytesWritten),
      'salt-apid': this.ownBlock(uptime, bytesRead, bytesWritten, client),
    };
  }

  /** CherryPy's per-application figures: zero (and no records) without `collect_stats`. */
  private applicationBlock(now: number, uptime: number, client: ClientOf): Record<string, unknown> {
    const on = this.sources.collectStats;
    const requests = on ? this.requests : 0;
    const bytesIn = on ? this.bytesIn : 0;
    const bytesOut = on ? this.bytesOut : 0;
    const block: Record<string, unknown> = {
      Enabled: true,
      'Bytes Read/Request': perUnit(bytesIn, requests),
      'Bytes Read/Second': perUnit(bytesIn, uptime),
      'Bytes Written/Request': perUnit(bytesOut, requests),
      'Bytes Written/Second': perUnit(bytesOut, uptime),
      'Current Time': seconds(now),
      'Current Requests': on ? this.inFlight : 0,
      'Requests/Second': perUnit(requests, uptime),
      'Server Version': this.sources.serverVersion,
      'Start Time': seconds(this.startedAt),
      'Total Bytes Read': bytesIn,
      'Total Bytes Written': bytesOut,
      'Total Requests': requests,
      'Total Time': on ? seconds(this.timeMs) : 0,
      Uptime: uptime,
      Requests: Object.fromEntries(
        this.recent
          .filter((record) => record.seq > 0)
          .sort((a, b) => a.seq - b.seq)
          .map((record) => [String(record.seq), cherryPyRecord(record, client)]),
      ),
    };
    if (on && this.slowQueries.length > 0)
      block['Slow Queries'] = this.slowQueries.map((record) => cherryPyRecord(record, client));
    return block;
  }

  /** Cheroot's server figures, from the sockets; `-1` where salt-api shows them disabled. */
  private serverBlock(uptime: number, bytesRead: number, bytesWritten: number): Record<string, unknown> {
    const on = this.sources.collectStats;
    const { threadPool } = this.sources;
    const workTime = seconds(this.timeMs);
    const worker = {
      Requests: on ? this.requests : -1,
      'Bytes Read': on ? bytesRead : -1,
      'Bytes Written': on ? bytesWritten : -1,
      'Work Time': on ? workTime : -1,
      'Read Throughput': on ? perUnit(bytesRead, workTime) : -1,
      'Write Throughput': on ? perUnit(bytesWritten, workTime) : -1,
    };
    return {
      Enabled: on,
      'Bind Address': this.sources.bindAddress(),
      'Run time': on ? uptime : -1,
      Accepts: on ? this.accepted : 0,
      'Accepts/sec': on ? perUnit(this.accepted, uptime) : 0,
      Queue: 0,
      Threads: threadPool,
      'Threads Idle': Math.max(threadPool - this.inFlight, 0),
      'Socket Errors': on ? this.clientErrors : 0,
      ...worker,
      'Worker Threads': { 'event-loop': worker },
    };
  }

  /** salt-apid's figures, always collected. Times are in seconds. */
  private ownBlock(uptime: number, bytesRead: number, bytesWritten: number, client: ClientOf): Record<string, unknown> {
    const byStatus: Record<string, number> = {};
    for (let n = 1; n <= 5; n++) byStatus[`${n}xx`] = this.statusClasses[n] ?? 0;
    const routes = [...this.routes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return {
      version: this.sources.serverVersion,
      startTime: seconds(this.startedAt),
      uptime,
      collectStats: this.sources.collectStats,
      requests: {
        total: this.requests,
        inFlight: this.inFlight,
        completed: this.completed,
        perSecond: perUnit(this.requests, uptime),
        totalTime: seconds(this.timeMs),
        averageTime: seconds(perUnit(this.timeMs, this.completed)),
        bodyBytesIn: this.bytesIn,
        bodyBytesOut: this.bytesOut,
        byStatus,
        slow: this.slowTotal,
      },
      connections: {
        open: this.sockets.size,
        accepted: this.accepted,
        bytesIn: bytesRead,
        bytesOut: bytesWritten,
        clientErrors: this.clientErrors,
      },
      routes: Object.fromEntries(
        routes.map(([url, route]) => [
          url,
          {
            requests: route.requests,
            completed: route.completed,
            clientErrors: route.clientErrors,
            serverErrors: route.serverErrors,
            averageTime: seconds(perUnit(route.timeMs, route.completed)),
          },
        ]),
      ),
      streams: this.sources.streams(),
      sessions: this.sources.sessions(),
      slowQueries: this.slowQueries.map((record) => ({
        start: seconds(record.start),
        time: seconds(record.elapsedMs),
        method: record.method,
        route: record.route,
        status: record.status,
        client: client(record),
      })),
      master: { available: this.sources.masterAvailable(), ...this.sources.masterStats?.() },
    };
  }
}

function cherryPyRecord(record: RequestRecord, client: ClientOf): Record<string, unknown> {
  return {
    'Bytes Read': record.bytesRead,
    'Bytes Written': record.bytesWritten,
    Client: client(record),
    'End Time': seconds(record.start + record.elapsedMs),
    'Processing Time': seconds(record.elapsedMs),
    'Request-Line': `${record.method} ${record.route} HTTP/${record.httpVersion}`,
    'Response Status': `${record.status} ${STATUS_CODES[record.status] ?? ''}`.trimEnd(),
    'Start Time': seconds(record.start),
  };
}
