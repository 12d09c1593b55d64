import { createServer, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { frameBody, type EventFraming } from '../salt/event-frame.js';
import { closeServer, listen, type BusAddress } from './listen.js';
import { PullFrameReader } from './pull-reader.js';

/**
 * The master's event bus: the publisher (`master_event_pub.ipc`) broadcasts every event frame
 * to every connected reader; the puller (`master_event_pull.ipc`) takes frames from senders and
 * republishes their event bytes unchanged. Unix sockets, or 127.0.0.1 TCP ports in tcp mode.
 */

export type { BusAddress } from './listen.js';

export interface EventServerOptions {
  pubAddress: BusAddress;
  pullAddress: BusAddress;
  pubFraming: EventFraming;
  pullFraming: EventFraming;
  /** A reader with more than this many bytes queued is cut off so it cannot stall the bus. */
  maxPendingBytes: number;
  logger: Logger | undefined;
}

export class EventServer {
  private readonly readers = new Set<Socket>();
  private readonly senders = new Set<Socket>();
  /** Frames the puller failed on: each one an exception in a real master's log. */
  pullErrors = 0;

  // Each server knows its connections from the start: a reader that connects while the puller is
  // still being set up (a salt-apid reconnecting every 50 ms does) is one stop() must cut, or the
  // publisher's close would wait for it forever.
  private readonly pubServer = createServer((socket) => this.addReader(socket));
  private readonly pullServer = createServer((socket) => this.addSender(socket));
  #pubAddress: BusAddress;
  #pullAddress: BusAddress;

  private constructor(private readonly options: EventServerOptions) {
    this.#pubAddress = options.pubAddress;
    this.#pullAddress = options.pullAddress;
  }

  static async start(options: EventServerOptions): Promise<EventServer> {
    const server = new EventServer(options);
    server.#pubAddress = await listen(server.pubServer, options.pubAddress, 0o660);
    try {
      server.#pullAddress = await listen(server.pullServer, options.pullAddress, 0o600);
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  /** Where the publisher listens (its port resolved in tcp mode). */
  get pubAddress(): BusAddress {
    return this.#pubAddress;
  }

  /** Where the puller listens (its port resolved in tcp mode). */
  get pullAddress(): BusAddress {
    return this.#pullAddress;
  }

  /** Sends event bytes (`tag\n\n` + msgpack data) to every reader, in the pub framing. */
  publishBody(body: Buffer): void {
    if (this.readers.size === 0) return;
    const frame = frameBody(body, this.options.pubFraming);
    for (const socket of this.readers) {
      if (socket.destroyed) continue;
      if (socket.writableLength > this.options.maxPendingBytes) {
        this.options.logger?.warn({ pending: socket.writableLength }, 'demo master: cutting off a slow event reader');
        socket.destroy();
        this.readers.delete(socket);
        continue;
      }
      socket.write(frame);
    }
  }

  /**
   * The bus goes away while the master still answers requests, as when a master's event publisher
   * process dies: every connection cut, both sockets closed. {@link resume} brings it back.
   */
  async drop(): Promise<void> {
    for (const socket of [...this.readers, ...this.senders]) socket.destroy();
    this.readers.clear();
    this.senders.clear();
    await Promise.all([closeServer(this.pubServer, this.pubAddress), closeServer(this.pullServer, this.pullAddress)]);
  }

  /** The bus back at the same addresses, as the master's process manager restarts its publisher. */
  async resume(): Promise<void> {
    if (this.pubServer.listening) return;
    await listen(this.pubServer, this.pubAddress, 0o660);
    await listen(this.pullServer, this.pullAddress, 0o600);
  }

  async stop(): Promise<void> {
    await this.drop();
  }

  private addReader(socket: Socket): void {
    this.readers.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.readers.delete(socket));
    // Readers never write; anything they send is ignored, as the master does.
    socket.on('data', () => undefined);
  }

  private addSender(socket: Socket): void {
    this.senders.add(socket);
    const reader = new PullFrameReader(this.options.pullFraming);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.senders.delete(socket));
    socket.on('data', (chunk: Buffer) => {
      for (const result of reader.push(chunk)) {
        if ('body' in result) this.publishBody(result.body);
        else {
          this.pullErrors++;
          this.options.logger?.warn(
            { reason: result.dropped },
            'demo master: dropped an event frame on the pull socket',
          );
        }
      }
    });
  }
}
