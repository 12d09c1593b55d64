import { connect, type Socket } from 'node:net';
import type { BusAddress, DemoMaster } from '../../src/demo/demo-master.js';
import { EventFrameReader, type SaltEvent } from '../../src/salt/event-frame.js';

export const sleepMs = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A raw reader of the publisher: keeps every byte and every decoded event. */
export class BusReader {
  readonly events: SaltEvent[] = [];
  /** What was read, joined when asked for (not at every read: a busy bus made that quadratic). */
  private readonly chunks: Buffer[] = [];
  private readonly frames = new EventFrameReader();

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      for (const r of this.frames.push(chunk)) if ('event' in r) this.events.push(r.event);
    });
  }

  /** Every byte read so far. */
  get raw(): Buffer {
    if (this.chunks.length !== 1) this.chunks.splice(0, this.chunks.length, Buffer.concat(this.chunks));
    return this.chunks[0]!;
  }

  static async open(master: DemoMaster): Promise<BusReader> {
    const socket = await openSocket(master.pubAddress);
    const reader = new BusReader(socket);
    for (let n = 0; !reader.events.some((e) => e.tag.startsWith('demo/test/ready')); n++) {
      master.fireEvent(`demo/test/ready/${n}`, {});
      await sleepMs(10);
    }
    return reader;
  }

  tagged(fragment: string): SaltEvent[] {
    return this.events.filter((e) => e.tag.includes(fragment));
  }

  async waitFor(test: () => boolean, timeoutMs = 4000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!test()) {
      if (Date.now() > deadline) throw new Error(`bus wait timed out; saw ${this.events.map((e) => e.tag).join(', ')}`);
      await sleepMs(10);
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

export function openSocket(address: BusAddress): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = typeof address === 'string' ? connect(address) : connect(address.port, address.host);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

export async function push(address: BusAddress, frame: Buffer): Promise<void> {
  const socket = await openSocket(address);
  await new Promise<void>((resolve) => socket.end(frame, () => resolve()));
}
