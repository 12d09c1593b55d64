import { Agent, get } from 'node:http';
import { createServer } from 'node:net';

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * GETs every path of `paths` from `base`, `concurrency` at a time over kept-alive connections, reading each
 * body to its end: the statuses, in the order of `paths`. A tenth of fetch()'s CPU per request, for the
 * tests that send thousands.
 */
export async function getMany(base: string, paths: readonly string[], concurrency = 50): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const statuses = new Array<number>(paths.length);
  const one = (path: string) =>
    new Promise<number>((resolve, reject) => {
      get(new URL(path, base), { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      }).on('error', reject);
    });
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < paths.length; i = next++) statuses[i] = await one(paths[i] ?? '');
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, paths.length) }, worker));
  } finally {
    agent.destroy();
  }
  return statuses;
}
