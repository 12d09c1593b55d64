/** A reading /events client that records how long stamped events took to arrive. */
import { get, type IncomingMessage } from 'node:http';
import type { Target } from './target.js';

export interface EventsClient {
  /** Delivery latencies in ms of the events whose data carried a `sent` stamp and the marker. */
  latencies: number[];
  close(): void;
}

/** `{"sent": <epoch ms>}` in an event's data, for {@link openEventsClient} to time. */
export function stamp(): number {
  return performance.timeOrigin + performance.now();
}

/** Opens `/events` (`query` is appended, e.g. `?tag=…`) and times the events tagged `tag`. */
export function openEventsClient(target: Target, token: string, tag: string, query = ''): Promise<EventsClient> {
  const latencies: number[] = [];
  const marker = `"tag": "${tag}"`;
  return new Promise((resolve, reject) => {
    const req = get(
      `${target.base}/events${query}`,
      { headers: { 'X-Auth-Token': token }, agent: false },
      (res: IncomingMessage) => {
        if (res.statusCode !== 200) return reject(new Error(`/events answered ${res.statusCode}`));
        let partial = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const lines = (partial + chunk).split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) {
            if (!line.startsWith('data: ') || !line.includes(marker)) continue;
            const sent = /"sent": ([0-9.]+)/.exec(line);
            if (sent) latencies.push(stamp() - Number(sent[1]));
          }
        });
        // A stream the server or the network ends early just stops counting; the row shows the loss.
        res.on('error', () => undefined);
        resolve({ latencies, close: () => res.destroy() });
      },
    );
    req.on('error', reject);
  });
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
