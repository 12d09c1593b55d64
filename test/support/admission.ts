/** What the admission tests share: the demo master's capacity model, a ping, a wave of timed calls. */
import type { SaltMap } from '../../src/salt/codec/values.js';
import { DEFAULT_CAPACITY } from '../../src/demo/capacity.js';
import type { NetapiHarness } from './clients.js';

export const capacity = {
  ...DEFAULT_CAPACITY,
  publishMs: 5,
  returnMs: 30,
  masterCores: 1,
  jobMs: 1,
  findJobMs: 1,
  returnRetryMs: 150,
  sharedMachine: false,
};

/** A sync `test.ping` on every minion, with time to spare. */
export const ping = (token: string) => ({ client: 'local', tgt: '*', fun: 'test.ping', token, timeout: 30 });

/**
 * When each job of `fun` was published, and when each call finished (performance.now()), for
 * `count` calls of `chunk` made at once.
 */
export async function timedWave(h: NetapiHarness, count: number, chunk: SaltMap) {
  const published: number[] = [];
  const { channel } = h.master;
  const request = channel.request.bind(channel);
  channel.request = (load, options) => {
    if (load['cmd'] === 'publish' && load['fun'] === chunk['fun']) published.push(performance.now());
    return request(load, options);
  };
  const finished: number[] = [];
  try {
    const results = await Promise.all(
      Array.from({ length: count }, () => h.netapi.run(chunk).finally(() => finished.push(performance.now()))),
    );
    return { results, published, finished };
  } finally {
    channel.request = request;
  }
}

/**
 * Calls `sample` every `ms` and also at each request salt-apid sends the master (a publish changes the
 * counts), so that a machine too busy to keep a short interval still has every job's publish seen.
 */
export function sampling(h: NetapiHarness, ms: number, sample: () => void): () => void {
  const { channel } = h.master;
  const request = channel.request.bind(channel);
  channel.request = (load, options) => {
    sample();
    const answer = request(load, options);
    sample();
    return answer;
  };
  const timer = setInterval(sample, ms);
  return () => {
    clearInterval(timer);
    channel.request = request;
  };
}
