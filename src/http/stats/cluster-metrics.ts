/**
 * `/metrics` of a multi-worker salt-apid (`workers: N`, Node's cluster): whichever worker answers
 * the scrape asks the primary, which gathers every worker's registries with prom-client's
 * `AggregatorRegistry` and sends back the sum. Counters and most gauges add up over the workers;
 * what is one process's own (memory, event loop, its bus connection) carries a `worker` label, the
 * worker's slot (0..N-1, kept by its replacement), so summing leaves those series apart.
 *
 * Both sides keep one gathering in flight: scrapes that arrive meanwhile share its answer.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

const REQUEST = 'saltapid:metrics-request';
const REPLY = 'saltapid:metrics-reply';
/** Longer than prom-client's own 5 s wait for the workers, so that its error is the one told. */
const REPLY_TIMEOUT_MS = 10_000;

interface MetricsReply {
  type: typeof REPLY;
  id: number;
  text?: string;
  error?: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

function isRequest(message: unknown): message is { type: typeof REQUEST; id: number } {
  return isRecord(message) && message['type'] === REQUEST && typeof message['id'] === 'number';
}

function isReply(message: unknown): message is MetricsReply {
  return isRecord(message) && message['type'] === REPLY && typeof message['id'] === 'number';
}

/** Gathers every worker's metrics through the primary. */
export type ClusterMetrics = () => Promise<string>;

/**
 * In a worker: offers `registries` to the primary's gatherings and returns how to ask for the
 * sum over all workers.
 */
export function joinClusterMetrics(registries: Registry[]): ClusterMetrics {
  AggregatorRegistry.setRegistries(registries);
  // Constructed in a worker, it answers the primary's requests for this worker's metrics.
  new AggregatorRegistry();
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  process.on('message', (message: unknown) => {
    if (!isReply(message)) return;
    const waiter = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.text !== undefined) waiter?.resolve(message.text);
    else waiter?.reject(new Error(`the workers' metrics could not be gathered: ${message.error ?? 'no reason given'}`));
  });
  const ask = (): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      if (process.send === undefined) return reject(new Error('this worker has no channel to its primary'));
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`the primary did not send the workers' metrics within ${REPLY_TIMEOUT_MS / 1000} s`));
      }, REPLY_TIMEOUT_MS);
      const settle =
        <T>(settleWith: (value: T) => void) =>
        (value: T) => {
          clearTimeout(timer);
          settleWith(value);
        };
      waiting.set(id, { resolve: settle(resolve), reject: settle(reject) });
      process.send({ type: REQUEST, id });
    });
  let inFlight: Promise<string> | undefined;
  return () => {
    inFlight ??= ask().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}

/** In the primary of `workers: N`: answers the workers' requests for the sum of all their metrics. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  let inFlight: Promise<string> | undefined;
  cluster.on('message', (worker: Worker, message: unknown) => {
    if (!isRequest(message)) return;
    const { id } = message;
    inFlight ??= aggregator.clusterMetrics().finally(() => {
      inFlight = undefined;
    });
    const send = (reply: MetricsReply): void => {
      if (worker.isConnected()) worker.send(reply);
    };
    inFlight.then(
      (text) => send({ type: REPLY, id, text }),
      (error: unknown) => send({ type: REPLY, id, error: error instanceof Error ? error.message : String(error) }),
    );
  });
}
