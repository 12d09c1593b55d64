/**
 * Event fan-out: N /events clients on one session while the bench POSTs stamped hooks; latency is
 * from the POST leaving the load generator to the event's `data:` line arriving at a client.
 */
import { openEventsClient, percentile, sleep, stamp, type EventsClient } from './events-client.js';
import type { Target } from './target.js';

export interface FanoutRow {
  clients: number;
  events: number;
  delivered: number;
  p50: number;
  p99: number;
  rssMb: number;
}

const FANOUT_TAG = 'salt/netapi/hook/bench/fanout';

export async function sseFanout(target: Target, clients: number, token: string): Promise<FanoutRow> {
  const streams: EventsClient[] = await Promise.all(
    Array.from({ length: clients }, () => openEventsClient(target, token, FANOUT_TAG)),
  );
  const events = 30;
  const headers = { 'Content-Type': 'application/json', 'X-Auth-Token': token };
  for (let i = 0; i < events; i++) {
    const body = JSON.stringify({ sent: stamp(), i });
    await (await fetch(`${target.base}/hook/bench/fanout`, { method: 'POST', headers, body })).arrayBuffer();
    await sleep(100);
  }
  const delivered = (): number => streams.reduce((sum, s) => sum + s.latencies.length, 0);
  const deadline = Date.now() + 10_000;
  while (delivered() < clients * events && Date.now() < deadline) await sleep(50);
  const rssMb = await target.rss();
  for (const stream of streams) stream.close();
  const latencies = streams.flatMap((s) => s.latencies).sort((a, b) => a - b);
  return {
    clients,
    events,
    delivered: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    rssMb,
  };
}

export function fanoutTable(rows: FanoutRow[]): string {
  const lines = ['| SSE clients | events | delivered | p50 ms | p99 ms | RSS MB |', '|---|---|---|---|---|---|'];
  for (const r of rows) {
    lines.push(
      `| ${r.clients} | ${r.events} | ${r.delivered} of ${r.clients * r.events} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.rssMb.toFixed(0)} |`,
    );
  }
  return lines.join('\n');
}
