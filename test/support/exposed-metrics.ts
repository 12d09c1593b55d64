/**
 * What salt-apid's metrics registry exposes: every series name a scrape can carry (a histogram's
 * `_bucket`, `_sum` and `_count`), with the label names and values its samples have. Built from
 * `SaltApidMetrics` over stub sources that give every labelled family a sample, for the checks that
 * hold contrib/ (alerting rules, dashboard) to the code.
 */
import { Histogram } from 'prom-client';
import type { RequestOutcome } from '../../src/salt/request-channel.js';
import { SaltApidMetrics, type MetricsSources } from '../../src/http/stats/metrics.js';

/** Per series name: label name → the values its samples carry. */
export type ExposedMetrics = Map<string, Map<string, Set<string>>>;

const OUTCOMES: readonly RequestOutcome[] = ['ok', 'timeout', 'unavailable', 'error'];

export function stubSources(): MetricsSources {
  return {
    sessions: () => 1,
    streams: () => ({ sse: 1, ws: 1, opened: 2, droppedSlow: 0 }),
    credentials: () => ({ loginFailures: 0, loginUnanswered: 0, throttled: 0, apiAclRefused: 0 }),
    webhooks: () => [{ rule: '/hook', outcome: 'fired', count: 1 }],
    bus: () => ({
      state: 'connected',
      pubFraming: 'bare',
      pullFraming: 'bare',
      subscribers: 0,
      eventsReceived: 0,
      eventsFired: 0,
      undecodableFrames: 0,
      reconnects: 0,
    }),
    liveness: () => ({ running: 0, findJob: 0, deferred: 0 }),
    admission: () => ({ limit: 1024, active: 0, withMinions: 0, queued: 0 }),
    streamRefusals: () => ({ session: 0, user: 0 }),
    replay: () => ({ events: 0, bytes: 0, evicted: { count: 0, age: 0, bytes: 0, too_large: 0 } }),
    sessionCache: () => ({ driver: 'redis', up: true, failures: 0 }),
    sessionEvictions: () => ({ userLimit: 0, storeFull: 0 }),
    tokenLookups: () => ({ asked: 0, cachedRefusals: 0, limited: 0 }),
    auditDropped: () => 0,
  };
}

function labelsOf(exposed: ExposedMetrics, name: string): Map<string, Set<string>> {
  let labels = exposed.get(name);
  if (labels === undefined) {
    labels = new Map();
    exposed.set(name, labels);
  }
  return labels;
}

export async function exposedMetrics(): Promise<ExposedMetrics> {
  const metrics = new SaltApidMetrics(stubSources());
  metrics.observeHttp('/login', 'POST', 200, 0.01);
  for (const outcome of OUTCOMES) metrics.observeMaster('publish', 0.01, outcome);
  const { registry } = metrics;
  const exposed: ExposedMetrics = new Map();
  for (const metric of registry.getMetricsAsArray()) {
    const suffixes = metric instanceof Histogram ? ['_bucket', '_sum', '_count'] : [''];
    for (const suffix of suffixes) labelsOf(exposed, metric.name + suffix);
  }
  for (const metric of await registry.getMetricsAsJSON()) {
    for (const sample of metric.values) {
      const name = 'metricName' in sample && typeof sample.metricName === 'string' ? sample.metricName : metric.name;
      const labels = labelsOf(exposed, name);
      for (const [label, value] of Object.entries(sample.labels)) {
        const values = labels.get(label) ?? new Set<string>();
        values.add(String(value));
        labels.set(label, values);
      }
    }
  }
  return exposed;
}
