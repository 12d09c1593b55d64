import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Aggregator } from 'prom-client';
import { registerHeapAfterGc } from './heap-after-gc.js';
import { joinClusterMetrics, type ClusterMetrics } from './cluster-metrics.js';
import { registerBusMetrics, type BusMetricsSources } from './bus-metrics.js';
import { readGauge, totalCounter } from './collectors.js';
import type { RequestOutcome } from '../../salt/request-channel.js';
import type { JobAdmissionStats, LivenessCheckCounts } from '../../salt/clients/netapi.js';
import type { CredentialGuardCounts } from '../auth/credential-guard.js';
import type { SessionEvictions } from '../auth/sessions.js';
import type { TokenLookupCounts } from '../auth/token-checks.js';
import type { ReplayStats } from '../streams/event-ring.js';
import type { StreamRefusal, StreamStats } from '../streams/streams.js';
import type { WebhookGate } from '../webhooks/gate.js';

/**
 * salt-apid's Prometheus metrics (prom-client, a registry of its own). Every label takes its values
 * from a fixed set: routes are the registered route patterns (`unmatched` for anything else),
 * methods the HTTP methods (`OTHER`), statuses the numeric codes, master commands the clear
 * commands salt-apid sends (`other`), webhook rules the configured paths. No label ever carries a
 * token, a user name or a path a client chose.
 *
 * In a worker of `workers: N` a scrape answers the sum over every worker (cluster-metrics.ts); the
 * metrics that are one process's own (prom-client's process and Node.js metrics, the heap after GC,
 * the bus connection, the sync job limit, sessions held, the cache server's state) live in a
 * registry of their own whose series carry the worker's slot as the `worker` label.
 */

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);
const COMMANDS = new Set(['publish', 'runner', 'wheel', 'mk_token', 'get_token', 'ping']);
const EVICTION_REASONS = ['count', 'age', 'bytes', 'too_large'] as const;

export interface MetricsSources extends BusMetricsSources {
  sessions(): number;
  streams(): StreamStats;
  credentials(): CredentialGuardCounts;
  webhooks(): ReturnType<WebhookGate['stats']>;
  /** The sync jobs' liveness checks; undefined without lowstate clients. */
  liveness(): LivenessCheckCounts | undefined;
  /** The sync jobs out at the master and waiting; undefined without lowstate clients. */
  admission(): JobAdmissionStats | undefined;
  /** Streams refused (429) by the per-session and per-user caps. */
  streamRefusals?(): Record<StreamRefusal, number>;
  /** The replay ring of resumable `/events`; undefined while `events_ids` is off. */
  replay?(): ReplayStats | undefined;
  /** `session_store: cache` on a cache server (Redis); undefined without one. */
  sessionCache?(): SessionCacheStats | undefined;
  /** Sessions ended to make room for logins. */
  sessionEvictions?(): SessionEvictions;
  /** Lookups of Salt tokens salt-apid has not seen (token-checks.ts). */
  tokenLookups?(): TokenLookupCounts;
  /** Audit records dropped because the disk did not keep up; undefined without `log_audit_file`. */
  auditDropped?(): number | undefined;
}

/** The session store's cache server: its driver, whether it answers, operations that failed. */
export interface SessionCacheStats {
  driver: string;
  up: boolean;
  failures: number;
}

/** A counter whose value is read from a running total at scrape time. */

export interface MetricsOptions {
  /** The worker's slot in `workers: N` (worker-slot.ts): per-worker series, and scrapes summed over the workers. */
  worker?: string | undefined;
}

export class SaltApidMetrics {
  readonly registry = new Registry();
  /** Where one process's own metrics go: `registry` itself, or a registry labelled with the worker's slot. */
  private readonly own: Registry;
  /** In a worker: the sum over all workers, through the primary. */
  private readonly gathered: ClusterMetrics | undefined;
  private readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  private readonly httpSeconds: Histogram<'route' | 'method'>;
  private readonly masterRequests: Counter<'command' | 'outcome'>;
  private readonly masterSeconds: Histogram<'command'>;

  constructor(sources: MetricsSources, options: MetricsOptions = {}) {
    const registers = [this.registry];
    if (options.worker === undefined) {
      this.own = this.registry;
    } else {
      this.own = new Registry();
      this.own.setDefaultLabels({ worker: options.worker });
      this.gathered = joinClusterMetrics([this.registry, this.own]);
    }
    collectDefaultMetrics({ register: this.own });
    // prom-client leaves the start time out of a cluster's sum; per worker, each is its own series.
    const startTime = this.own.getSingleMetric('process_start_time_seconds');
    // Every prom-client metric has its `aggregator` (metric.js); the typings show it on MetricObject only.
    if (startTime !== undefined) (startTime as unknown as { aggregator: Aggregator }).aggregator = 'sum';
    registerHeapAfterGc(this.own);
    this.httpRequests = new Counter({
      name: 'saltapid_http_requests_total',
      help: 'HTTP requests answered, by route pattern, method and status',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.httpSeconds = new Histogram({
      name: 'saltapid_http_request_duration_seconds',
      help: 'Time from request to answer, by route pattern and method',
      labelNames: ['route', 'method'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
      registers,
    });
    this.masterRequests = new Counter({
      name: 'saltapid_master_requests_total',
      help: "Requests to the master's request port, by command and outcome (ok, timeout, unavailable, error)",
      labelNames: ['command', 'outcome'],
      registers,
    });
    this.masterSeconds = new Histogram({
      name: 'saltapid_master_request_duration_seconds',
      help: "Round trips to the master's request port, by command",
      labelNames: ['command'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers,
    });
    registerBusMetrics(this.registry, this.own, sources);
    this.livenessMetrics(sources);
    this.clientMetrics(sources);
    this.streamLimitMetrics(sources);
    this.sessionCacheMetrics(sources);
    this.guardMetrics(sources);
  }

  /** The Prometheus text: this process's metrics, or in a worker the sum over every worker. */
  exposition(): Promise<string> {
    return this.gathered === undefined ? this.registry.metrics() : this.gathered();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Sessions ended to make room, password checks the master left unanswered, unknown tokens looked up. */
  private guardMetrics(sources: MetricsSources): void {
    const registers = [this.registry];
    new Counter({
      name: 'saltapid_sessions_evicted_total',
      help: 'Sessions ended to make room for a login, by reason (user_limit: max_sessions_per_user, store_full: max_sessions)',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        const evicted = sources.sessionEvictions?.();
        this.inc({ reason: 'user_limit' }, evicted?.userLimit ?? 0);
        this.inc({ reason: 'store_full' }, evicted?.storeFull ?? 0);
      },
    });
    totalCounter(
      this.registry,
      'saltapid_login_unanswered_total',
      'Password checks the master did not answer (time-out, unavailable); the login throttle counts them as failures',
      () => sources.credentials().loginUnanswered,
    );
    totalCounter(
      this.registry,
      'saltapid_audit_records_dropped_total',
      'Audit records (log_audit_file) dropped because the disk did not take them fast enough',
      () => sources.auditDropped?.() ?? 0,
    );
    new Counter({
      name: 'saltapid_token_lookups_total',
      help: 'Salt tokens not seen before, presented to the streams, by result (asked: get_token sent, cached_refusal: refused by the master lately, limited: 503, too many lookups)',
      labelNames: ['result'],
      registers,
      collect() {
        this.reset();
        const lookups = sources.tokenLookups?.();
        this.inc({ result: 'asked' }, lookups?.asked ?? 0);
        this.inc({ result: 'cached_refusal' }, lookups?.cachedRefusals ?? 0);
        this.inc({ result: 'limited' }, lookups?.limited ?? 0);
      },
    });
  }

  /** Nothing is reported without a cache server (`session_store: ram`, or the localfs cache). */
  private sessionCacheMetrics(sources: MetricsSources): void {
    new Gauge({
      name: 'saltapid_session_cache_up',
      help: "1 while the session store's cache server (session_store: cache, cache: redis) answers, 0 while it does not",
      labelNames: ['driver'],
      registers: [this.own],
      collect() {
        this.reset();
        const cache = sources.sessionCache?.();
        if (cache !== undefined) this.set({ driver: cache.driver }, cache.up ? 1 : 0);
      },
    });
    new Counter({
      name: 'saltapid_session_cache_errors_total',
      help: "Operations on the session store's cache server that failed or were refused while it was down",
      labelNames: ['driver'],
      registers: [this.registry],
      collect() {
        this.reset();
        const cache = sources.sessionCache?.();
        if (cache !== undefined) this.inc({ driver: cache.driver }, cache.failures);
      },
    });
  }

  /** Per (route, method, status): the labelled children, so a request costs no label hashing. */
  private readonly httpSeries = new Map<string, { count: () => void; time: (seconds: number) => void }>();

  observeHttp(route: string | undefined, method: string, status: number, seconds: number): void {
    const routeLabel = route ?? 'unmatched';
    const methodLabel = METHODS.has(method) ? method : 'OTHER';
    const key = `${routeLabel}\n${methodLabel}\n${status}`;
    let series = this.httpSeries.get(key);
    if (series === undefined) {
      const counter = this.httpRequests.labels(routeLabel, methodLabel, String(status));
      const histogram = this.httpSeconds.labels(routeLabel, methodLabel);
      series = { count: () => counter.inc(), time: (value) => histogram.observe(value) };
      this.httpSeries.set(key, series);
    }
    series.count();
    series.time(seconds);
  }

  observeMaster(command: string, seconds: number, outcome: RequestOutcome): void {
    const name = COMMANDS.has(command) ? command : 'other';
    this.masterRequests.inc({ command: name, outcome });
    this.masterSeconds.observe({ command: name }, seconds);
  }

  /** The caps on streams per session and user, and the replay ring's bounds. */
  private streamLimitMetrics(sources: MetricsSources): void {
    const registers = [this.registry];
    new Counter({
      name: 'saltapid_streams_refused_total',
      help: 'Event streams refused with 429, by the cap they met (session: max_streams_per_session, user: max_streams_per_user)',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        const refused = sources.streamRefusals?.();
        this.inc({ reason: 'session' }, refused?.session ?? 0);
        this.inc({ reason: 'user' }, refused?.user ?? 0);
      },
    });
    new Gauge({
      name: 'saltapid_events_replay_bytes',
      help: 'Serialised bytes of the events the events_ids replay ring holds (at most events_replay.max_bytes)',
      registers,
      collect() {
        this.set(sources.replay?.()?.bytes ?? 0);
      },
    });
    new Gauge({
      name: 'saltapid_events_replay_events',
      help: 'Events the events_ids replay ring holds',
      registers,
      collect() {
        this.set(sources.replay?.()?.events ?? 0);
      },
    });
    new Counter({
      name: 'saltapid_events_replay_evictions_total',
      help: 'Events the replay ring let go, by reason (count: max_events, age: max_seconds, bytes: max_bytes, too_large: larger than max_bytes, never kept)',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        const evicted = sources.replay?.()?.evicted;
        for (const reason of EVICTION_REASONS) this.inc({ reason }, evicted?.[reason] ?? 0);
      },
    });
  }

  private livenessMetrics(sources: MetricsSources): void {
    new Counter({
      name: 'saltapid_liveness_checks_total',
      help: "Checks of waiting sync jobs' silent minions, by kind (shared saltutil.running, per-job find_job)",
      labelNames: ['kind'],
      registers: [this.registry],
      collect() {
        this.reset();
        const counts = sources.liveness();
        this.inc({ kind: 'running' }, counts?.running ?? 0);
        this.inc({ kind: 'find_job' }, counts?.findJob ?? 0);
      },
    });
    new Gauge({
      name: 'saltapid_sync_jobs',
      help:
        'Sync jobs the master is working on (running), out and seen running on their minions (minions), ' +
        'and waiting in salt-apid for a place (queued)',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const stats = sources.admission();
        this.set({ state: 'running' }, stats?.active ?? 0);
        this.set({ state: 'minions' }, stats?.withMinions ?? 0);
        this.set({ state: 'queued' }, stats?.queued ?? 0);
      },
    });
    readGauge(
      this.own,
      'saltapid_sync_job_limit',
      'How many sync jobs may be out at the master now (halved when the master shows it is behind)',
      () => sources.admission()?.limit ?? 0,
    );
    totalCounter(
      this.registry,
      'saltapid_liveness_checks_deferred_total',
      "Times a job's check waited because its silent minions were still returning",
      () => sources.liveness()?.deferred ?? 0,
    );
  }

  private clientMetrics(sources: MetricsSources): void {
    const registers = [this.registry];
    new Gauge({
      name: 'saltapid_streams_open',
      help: 'Event streams open now, by kind',
      labelNames: ['kind'],
      registers,
      collect() {
        const streams = sources.streams();
        this.set({ kind: 'sse' }, streams.sse);
        this.set({ kind: 'ws' }, streams.ws);
      },
    });
    totalCounter(
      this.registry,
      'saltapid_streams_opened_total',
      'Event streams opened',
      () => sources.streams().opened,
    );
    totalCounter(
      this.registry,
      'saltapid_streams_slow_clients_cut_total',
      'Streams cut off because their client stopped reading',
      () => sources.streams().droppedSlow,
    );
    readGauge(
      this.own,
      'saltapid_sessions',
      'Sessions held now (each worker of workers: N its own: those it has seen)',
      () => sources.sessions(),
    );
    totalCounter(
      this.registry,
      'saltapid_login_failures_total',
      'Passwords the master refused',
      () => sources.credentials().loginFailures,
    );
    totalCounter(
      this.registry,
      'saltapid_login_throttled_total',
      'Credentials refused with 429 by the login throttle',
      () => sources.credentials().throttled,
    );
    totalCounter(
      this.registry,
      'saltapid_api_acl_refused_total',
      'Credentials refused by api_acl',
      () => sources.credentials().apiAclRefused,
    );
    new Counter({
      name: 'saltapid_webhook_deliveries_total',
      help: 'Webhook deliveries by rule (its path glob) and outcome (fired, replayed, rejected, forbidden)',
      labelNames: ['rule', 'outcome'],
      registers,
      collect() {
        this.reset();
        for (const { rule, outcome, count } of sources.webhooks()) this.inc({ rule, outcome }, count);
      },
    });
  }
}
