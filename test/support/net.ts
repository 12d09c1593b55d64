import { Agent, get } from 'node:http';
import { randomInt } from 'node:crypto';
import { createServer } from 'node:net';

/**
 * Ports handed out below the kernel's ephemeral range (32768 and up here): a port the system picked
 * with `listen(0)` and gave back could be taken again at once by any client connection of another test
 * worker before the server that was meant for it listens (EADDRINUSE, seen once in CI at three test
 * files per core). Below the range only another freePort() hands ports out: each vitest worker
 * (VITEST_POOL_ID) takes its own slot and goes through it in turn.
 */
const FIRST_PORT = 10_000;
const SLOTS = 16;
const SLOT_SIZE = 1_400;
let lastPort: number | undefined;

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A TCP port that was free a moment ago on 127.0.0.1, and that only this worker hands out. */
export async function freePort(): Promise<number> {
  const slot = Number(process.env['VITEST_POOL_ID'] ?? process.pid) % SLOTS;
  const low = FIRST_PORT + slot * SLOT_SIZE;
  for (let tries = 0; tries < SLOT_SIZE; tries++) {
    lastPort = lastPort === undefined ? low + randomInt(SLOT_SIZE) : low + ((lastPort - low + 1) % SLOT_SIZE);
    if (await canListen(lastPort)) return lastPort;
  }
  throw new Error(`freePort: no free port in ${low}-${low + SLOT_SIZE - 1}`);
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
