/**
 * The probe watcher of the fleet bench (fleet.ts), a process of its own so that the bench's own
 * work (reading a 100 MB answer) does not delay what it times. It sees each stamped probe event
 * twice: on the master's publisher itself (`--pub`, the bus socket, scanned for the stamp without
 * decoding anything else) and on salt-apid's `/events?tag=` stream. The first says how far behind
 * the master's bus is; the difference says what salt-apid adds.
 *
 *   node dist/bench/probe-watch.js --url http://127.0.0.1:8000 --token T --tag TAG [--pub SOCKET] [--whole-bus]
 *
 * `--whole-bus` reads `/events` without `?tag=` (salt-api has no `?tag=`; it answers 400). It prints
 * `ready` once both readers are connected, then answers each `report` line on its stdin with one
 * JSON line: the probes `/events` delivered since the last report, `{sent, bus, sse}` in epoch ms.
 */
import { createConnection } from 'node:net';
import { get, type IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { stamp } from './events-client.js';

export interface ProbeSighting {
  /** When the bench posted it (epoch ms, the probe's own stamp). */
  sent: number;
  /** When it passed on the master's publisher, if watched. */
  bus?: number;
  /** When salt-apid's `/events` delivered it. */
  sse?: number;
}

/** How the stamp reads in a probe's text, on the bus (the hook's raw body) and in `/events`. */
const STAMP = /"sent": ?([0-9.]+)[^0-9.]/g;
/** Bytes of one chunk kept for the next, so that a stamp split between two chunks is still read. */
const CARRY = 64;

/**
 * The probes seen so far. A probe is reported once `/events` delivered it, with its bus sighting:
 * one seen on the bus before a report and on `/events` after it waits for the next report whole,
 * rather than coming back as two halves that neither delay column would count.
 */
export class Sightings {
  private readonly bySent = new Map<number, ProbeSighting>();

  constructor(private readonly now: () => number) {}

  note(sent: number, where: 'bus' | 'sse'): void {
    const sighting = this.bySent.get(sent) ?? { sent };
    sighting[where] ??= this.now();
    this.bySent.set(sent, sighting);
  }

  /** The probes `/events` delivered since the last call; the others stay. */
  takeDelivered(): ProbeSighting[] {
    const delivered = [...this.bySent.values()].filter((sighting) => sighting.sse !== undefined);
    for (const sighting of delivered) this.bySent.delete(sighting.sent);
    return delivered;
  }
}

/** Finds stamps in a stream of text read in chunks, each stamp once. */
export class StampScanner {
  private carry = '';

  constructor(private readonly seen: (sent: number) => void) {}

  push(chunk: string): void {
    const text = this.carry + chunk;
    for (const match of text.matchAll(STAMP)) {
      // A stamp wholly inside the carry was read with the chunk before.
      if (match.index + match[0].length > this.carry.length) this.seen(Number(match[1]));
    }
    this.carry = text.slice(-CARRY);
  }
}

function main(): void {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      tag: { type: 'string' },
      pub: { type: 'string' },
      'whole-bus': { type: 'boolean' },
    },
  });
  const { url, token, tag, pub, 'whole-bus': wholeBus } = values;
  if (url === undefined || token === undefined || tag === undefined) {
    throw new Error('usage: probe-watch --url URL --token TOKEN --tag TAG [--pub SOCKET] [--whole-bus]');
  }
  const sightings = new Sightings(stamp);
  let pending = pub === undefined ? 1 : 2;
  const connected = (): void => {
    if (--pending === 0) process.stdout.write('ready\n');
  };
  if (pub !== undefined) {
    const bus = new StampScanner((sent) => sightings.note(sent, 'bus'));
    const socket = createConnection(pub, connected);
    // latin1: one character a byte, so the ASCII stamp reads the same whatever surrounds it.
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => bus.push(chunk));
    socket.on('error', (err) => process.stderr.write(`probe-watch: bus: ${err.message}\n`));
  }
  const events = new StampScanner((sent) => sightings.note(sent, 'sse'));
  get(
    wholeBus === true ? `${url}/events` : `${url}/events?tag=${encodeURIComponent(tag)}`,
    { headers: { 'X-Auth-Token': token }, agent: false },
    (res: IncomingMessage) => {
      if (res.statusCode !== 200) throw new Error(`/events answered ${res.statusCode}`);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => events.push(chunk));
      res.on('error', () => undefined);
      connected();
    },
  );
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line !== 'report') return;
    process.stdout.write(`${JSON.stringify(sightings.takeDelivered())}\n`);
  });
  process.stdin.on('end', () => process.exit(0));
}

if (process.argv[1]?.endsWith('probe-watch.js') === true) main();
