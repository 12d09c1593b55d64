import { Gauge, type Registry } from 'prom-client';
import type { EventBusStats } from '../../salt/event-bus.js';
import type { StreamFeedStats } from '../../salt/stream-feed/stream-feed.js';
import { readGauge, totalCounter } from './collectors.js';

/** What the bus's metrics read (part of metrics.ts's MetricsSources). */
export interface BusMetricsSources {
  /** The master's event bus; undefined without a master connection. */
  bus(): EventBusStats | undefined;
  /** The streams' own reader of the bus (stream-feed/); undefined where the streams read the main connection. */
  streamReader?(): Pick<StreamFeedStats, 'started' | 'connected' | 'restarts'> | undefined;
}

/**
 * The event bus's metrics: the main connection (connected, framing learned, events in and out,
 * decode errors, reconnects) and the streams' own reader of it. `own` takes the per-process
 * series (labelled with the worker's slot under `workers: N`), `registry` the summed ones.
 */
export function registerBusMetrics(registry: Registry, own: Registry, sources: BusMetricsSources): void {
  readGauge(own, 'saltapid_event_bus_connected', "1 while the master's event bus is connected", () =>
    sources.bus()?.state === 'connected' ? 1 : 0,
  );
  new Gauge({
    name: 'saltapid_event_bus_framing_info',
    help: 'The framing learned for the publisher and the pull socket (bare or len32)',
    labelNames: ['socket', 'framing'],
    registers: [own],
    collect() {
      this.reset();
      const bus = sources.bus();
      this.set({ socket: 'pub', framing: bus?.pubFraming ?? 'unknown' }, 1);
      this.set({ socket: 'pull', framing: bus?.pullFraming ?? 'unknown' }, 1);
    },
  });
  const bus = (read: (stats: EventBusStats) => number) => () => {
    const stats = sources.bus();
    return stats === undefined ? 0 : read(stats);
  };
  totalCounter(
    registry,
    'saltapid_event_bus_events_received_total',
    'Events read from the master',
    bus((s) => s.eventsReceived),
  );
  totalCounter(
    registry,
    'saltapid_event_bus_events_fired_total',
    'Events fired into the master',
    bus((s) => s.eventsFired),
  );
  totalCounter(
    registry,
    'saltapid_event_bus_decode_errors_total',
    'Frames from the master that could not be decoded',
    bus((s) => s.undecodableFrames),
  );
  totalCounter(
    registry,
    'saltapid_event_bus_reconnects_total',
    "Reconnections to the master's event bus",
    bus((s) => s.reconnects),
  );
  readGauge(
    own,
    'saltapid_event_streams_reader_connected',
    "1 while the event streams' own reader (a thread) is connected to the master's event bus",
    () => {
      const reader = sources.streamReader?.();
      return (reader === undefined ? sources.bus()?.state === 'connected' : reader.connected) ? 1 : 0;
    },
  );
  readGauge(
    own,
    'saltapid_event_streams_reader_started',
    "1 once the event streams' own reader was started (by the first stream, or events_ids' replay ring)",
    () => {
      const reader = sources.streamReader?.();
      return reader === undefined || reader.started ? 1 : 0;
    },
  );
  totalCounter(
    registry,
    'saltapid_event_streams_reader_restarts_total',
    "Times the event streams' reader thread stopped and was started again",
    () => sources.streamReader?.()?.restarts ?? 0,
  );
}
