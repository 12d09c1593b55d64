/**
 * The `/stats` document (docs/routes.md "GET /stats"), built from a snapshot of the counters only
 * when `/stats` is read: CherryPy's statistics tree (its application and Cheroot server blocks) plus
 * salt-apid's own block.
 */
import { STATUS_CODES } from 'node:http';
import type { RouteCounter } from './stats-route.js';
import type { StreamStats } from '../streams/streams.js';

/** The master connection's own figures (request channel and event bus), e.g. `SaltMaster.stats()`. */
export type MasterStatsProvider = () => object;

/** What the report reads from the rest of the application when `/stats` is asked. */
export interface ReportSources {
  collectStats: boolean;
  threadPool: number;
  serverVersion: string;
  bindAddress: () => [string, number];
  streams: () => StreamStats;
  sessions: () => number;
  masterAvailable: () => boolean;
  masterStats?: MasterStatsProvider | undefined;
}

/** One finished request; `seq` 0 marks an unused slot of the ring. */
export interface RequestRecord {
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

/** The counters as they are when `/stats` is read. */
export interface StatsSnapshot {
  now: number;
  startedAt: number;
  requests: number;
  inFlight: number;
  completed: number;
  timeMs: number;
  bytesIn: number;
  bytesOut: number;
  /** Index n counts the `n`xx answers. */
  statusClasses: readonly number[];
  routes: ReadonlyMap<string, RouteCounter>;
  slowTotal: number;
  slowQueries: readonly RequestRecord[];
  /** The `collect_stats` ring, in slot order. */
  recent: readonly RequestRecord[];
  openConnections: number;
  accepted: number;
  /** Socket bytes, of the connections closed and open. */
  bytesRead: number;
  bytesWritten: number;
  clientErrors: number;
}

/** What a request record shows as its client when the reader of `/stats` is someone else. */
export const REDACTED_CLIENT = '[redacted]';

/** The `Client` a record shows to the reader of the report. */
type ClientOf = (record: RequestRecord) => string;

const perUnit = (total: number, units: number): number => (units > 0 ? total / units : 0);
const seconds = (ms: number): number => ms / 1000;

/**
 * The whole `/stats` document. Any logged-in user may read it, so the request records show a
 * client address only to that client itself (`viewer`); other clients' are redacted.
 */
export function statsReport(s: StatsSnapshot, sources: ReportSources, viewer?: string): Record<string, unknown> {
  const client = (record: RequestRecord): string =>
    viewer !== undefined && record.ip === viewer ? `${record.ip}:${record.port}` : REDACTED_CLIENT;
  const uptime = seconds(s.now - s.startedAt);
  return {
    'CherryPy Applications': applicationBlock(s, sources, uptime, client),
    [`Cheroot HTTPServer ${process.pid}`]: serverBlock(s, sources, uptime),
    'salt-apid': ownBlock(s, sources, uptime, client),
  };
}

/** CherryPy's per-application figures: zero (and no records) without `collect_stats`. */
function applicationBlock(
  s: StatsSnapshot,
  sources: ReportSources,
  uptime: number,
  client: ClientOf,
): Record<string, unknown> {
  const on = sources.collectStats;
  const requests = on ? s.requests : 0;
  const bytesIn = on ? s.bytesIn : 0;
  const bytesOut = on ? s.bytesOut : 0;
  const block: Record<string, unknown> = {
    Enabled: true,
    'Bytes Read/Request': perUnit(bytesIn, requests),
    'Bytes Read/Second': perUnit(bytesIn, uptime),
    'Bytes Written/Request': perUnit(bytesOut, requests),
    'Bytes Written/Second': perUnit(bytesOut, uptime),
    'Current Time': seconds(s.now),
    'Current Requests': on ? s.inFlight : 0,
    'Requests/Second': perUnit(requests, uptime),
    'Server Version': sources.serverVersion,
    'Start Time': seconds(s.startedAt),
    'Total Bytes Read': bytesIn,
    'Total Bytes Written': bytesOut,
    'Total Requests': requests,
    'Total Time': on ? seconds(s.timeMs) : 0,
    Uptime: uptime,
    Requests: Object.fromEntries(
      s.recent
        .filter((record) => record.seq > 0)
        .sort((a, b) => a.seq - b.seq)
        .map((record) => [String(record.seq), cherryPyRecord(record, client)]),
    ),
  };
  if (on && s.slowQueries.length > 0)
    block['Slow Queries'] = s.slowQueries.map((record) => cherryPyRecord(record, client));
  return block;
}

/** Cheroot's server figures, from the sockets; `-1` where salt-api shows them disabled. */
function serverBlock(s: StatsSnapshot, sources: ReportSources, uptime: number): Record<string, unknown> {
  const on = sources.collectStats;
  const { threadPool } = sources;
  const workTime = seconds(s.timeMs);
  const worker = {
    Requests: on ? s.requests : -1,
    'Bytes Read': on ? s.bytesRead : -1,
    'Bytes Written': on ? s.bytesWritten : -1,
    'Work Time': on ? workTime : -1,
    'Read Throughput': on ? perUnit(s.bytesRead, workTime) : -1,
    'Write Throughput': on ? perUnit(s.bytesWritten, workTime) : -1,
  };
  return {
    Enabled: on,
    'Bind Address': sources.bindAddress(),
    'Run time': on ? uptime : -1,
    Accepts: on ? s.accepted : 0,
    'Accepts/sec': on ? perUnit(s.accepted, uptime) : 0,
    Queue: 0,
    Threads: threadPool,
    'Threads Idle': Math.max(threadPool - s.inFlight, 0),
    'Socket Errors': on ? s.clientErrors : 0,
    ...worker,
    'Worker Threads': { 'event-loop': worker },
  };
}

/** salt-apid's figures, always collected. Times are in seconds. */
function ownBlock(s: StatsSnapshot, sources: ReportSources, uptime: number, client: ClientOf): Record<string, unknown> {
  const byStatus: Record<string, number> = {};
  for (let n = 1; n <= 5; n++) byStatus[`${n}xx`] = s.statusClasses[n] ?? 0;
  const routes = [...s.routes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    version: sources.serverVersion,
    startTime: seconds(s.startedAt),
    uptime,
    collectStats: sources.collectStats,
    requests: {
      total: s.requests,
      inFlight: s.inFlight,
      completed: s.completed,
      perSecond: perUnit(s.requests, uptime),
      totalTime: seconds(s.timeMs),
      averageTime: seconds(perUnit(s.timeMs, s.completed)),
      bodyBytesIn: s.bytesIn,
      bodyBytesOut: s.bytesOut,
      byStatus,
      slow: s.slowTotal,
    },
    connections: {
      open: s.openConnections,
      accepted: s.accepted,
      bytesIn: s.bytesRead,
      bytesOut: s.bytesWritten,
      clientErrors: s.clientErrors,
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
    streams: sources.streams(),
    sessions: sources.sessions(),
    slowQueries: s.slowQueries.map((record) => ({
      start: seconds(record.start),
      time: seconds(record.elapsedMs),
      method: record.method,
      route: record.route,
      status: record.status,
      client: client(record),
    })),
    master: { available: sources.masterAvailable(), ...sources.masterStats?.() },
  };
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
