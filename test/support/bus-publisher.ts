import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { SaltMap } from '../../src/salt/codec/values.js';
import { encodeEventFrame } from '../../src/salt/event-frame.js';

/** A stand-in for the master's publisher socket: writes what it is given to whoever is connected. */
export interface BusPublisher {
  path: string;
  server: Server;
  /** Readers connected now. */
  connections(): number;
  /** An event, framed bare as the master publishes it. */
  publish(tag: string, data: SaltMap): void;
  /** Bytes as they are. */
  raw(bytes: Buffer): void;
  /** Drops every reader. */
  drop(): void;
}

/** Listens on `pub.ipc` in `dir`. */
export async function busPublisher(dir: string): Promise<BusPublisher> {
  const path = join(dir, 'pub.ipc');
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const each = (act: (socket: Socket) => void): void => {
    for (const socket of sockets) act(socket);
  };
  return {
    path,
    server,
    connections: () => sockets.size,
    publish: (tag, data) => each((socket) => socket.write(encodeEventFrame(tag, data, 'bare'))),
    raw: (bytes) => each((socket) => socket.write(bytes)),
    drop: () => each((socket) => socket.destroy()),
  };
}
