/**
 * Event fan-out: N /events clients on one session while the bench POSTs stamped hooks; latency is
 * from the POST leaving the load generator to the event's `data:` line arriving at a client.
 */
import { openEventsClient, percentile, sleep, stamp, type EventsClient } from './events-client.js';
import type { Target } from './target.js';
import { markdownTable } from './markdown-table.js';

export interface FanoutRow {
  /** `all`: every client reads the whole bus; `filtered`: each asks for the timed tag only. */
  mode?: 'all' | 'filtered';
  /** Events fired on other tags for every timed one. */
  noise?: number;
  clients: number;
  /** From the first connection attempt to every stream's first byte (headers), ms. */
  connectMs?: number;
  events: number;
  delivered: number;
  p50: number;
  p99: number;
  rssMb: number;
}

const FANOUT_TAG = 'salt/netapi/hook/bench/fanout';

export interface FanoutOptions {
  /** Ask salt-apid for the timed tag only (`?tag=`), instead of reading the whole bus. */
  filtered?: boolean;
  /** Events fired on another tag before each timed one: the traffic a filter spares the clients. */
  noise?: number;
}

export async function sseFanout(
  target: Target,
  clients: number,
  token: string,
  options: FanoutOptions = {},
): Promise<FanoutRow> {
  const query = options.filtered === true ? `?tag=${encodeURIComponent(FANOUT_TAG)}` : '';
  // Connected a hundred at a time, as bursts of browsers do (and salt-api's backlog is only 30).
  const streams: EventsClient[] = [];
  const connecting = performance.now();
  for (let opened = 0; opened < clients; opened += 100) {
    const batch = Math.min(100, clients - opened);
    streams.push(
      ...(await Promise.all(Array.from({ length: batch }, () => openEventsClient(target, token, FANOUT_TAG, query)))),
    );
  }
  const connectMs = performance.now() - connecting;
  const events = 30;
  const noise = options.noise ?? 0;
  const headers = { 'Content-Type': 'application/json', 'X-Auth-Token': token };
  const post = async (path: string, body: string): Promise<void> => {
    await (await fetch(`${target.base}/hook/${path}`, { method: 'POST', headers, body })).arrayBuffer();
  };
  for (let i = 0; i < events; i++) {
    for (let n = 0; n < noise; n++) await post('bench/noise', JSON.stringify({ n }));
    await post('bench/fanout', JSON.stringify({ sent: stamp(), i }));
    await sleep(100);
  }
  const delivered = (): number => streams.reduce((sum, s) => sum + s.latencies.length, 0);
  const deadline = Date.now() + 10_000;
  while (delivered() < clients * events && Date.now() < deadline) await sleep(50);
  const rssMb = await target.rss();
  for (const stream of streams) stream.close();
  const latencies = streams.flatMap((s) => s.latencies).sort((a, b) => a - b);
  return {
    mode: options.filtered === true ? 'filtered' : 'all',
    noise,
    clients,
    connectMs,
    events,
    delivered: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    rssMb,
  };
}

export function fanoutTable(rows: FanoutRow[]): string {
  const header = [
    'SSE clients',
    'all connected, ms',
    'reading',
    'other events per timed one',
    'timed events',
    'delivered',
    'p50 ms',
    'p99 ms',
    'RSS MB',
  ];
  return markdownTable(header, rows, (r) => [
    r.clients,
    (r.connectMs ?? NaN).toFixed(0),
    r.mode === 'filtered' ? '`?tag=` the timed tag' : 'the whole bus',
    r.noise ?? 0,
    r.events,
    `${r.delivered} of ${r.clients * r.events}`,
    r.p50.toFixed(1),
    r.p99.toFixed(1),
    r.rssMb.toFixed(0),
  ]);
}
