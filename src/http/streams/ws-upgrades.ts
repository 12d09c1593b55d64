/**
 * Housekeeping of upgraded sockets. Node hands the socket of every `Upgrade:` request to the
 * upgrade listener and forgets it: when such a request is answered over HTTP outside the
 * WebSocket plugin's scope (a 404, an upgrade sent to another route) nothing closes the socket
 * afterwards, and an open socket holds app.close() for as long as the client keeps it. Those
 * sockets are closed when idle, when the client half-closes, and at shutdown; WebSockets get a
 * short grace at shutdown before they are dropped, since a client that does not read will
 * never complete the close handshake.
 */
import type { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';

/** An upgrade socket that did not become a WebSocket is closed after this long idle. */
const STRAY_IDLE_MS = 10_000;
/** WebSockets still open this long after shutdown began are dropped. */
const SHUTDOWN_GRACE_MS = 1_000;

interface ConnectedClient {
  terminate(): void;
}

interface WebSocketServerView {
  readonly clients: Set<ConnectedClient>;
  on(event: 'connection', listener: (client: ConnectedClient, request: IncomingMessage) => void): void;
}

export function reapUpgradeSockets(app: FastifyInstance): void {
  const wss: WebSocketServerView = app.websocketServer;
  const strays = new Set<Duplex>();

  app.server.on('upgrade', (_request: IncomingMessage, socket: Duplex) => {
    strays.add(socket);
    const reap = (): void => {
      if (strays.has(socket)) socket.destroy();
    };
    socket.once('close', () => strays.delete(socket));
    socket.once('end', reap);
    // ws clears this timeout when it takes the socket.
    if (socket instanceof Socket) socket.setTimeout(STRAY_IDLE_MS, reap);
  });
  wss.on('connection', (_client, request) => strays.delete(request.socket));

  app.addHook('preClose', async () => {
    for (const socket of strays) socket.destroy();
    for (const client of wss.clients) setTimeout(() => client.terminate(), SHUTDOWN_GRACE_MS).unref();
  });
}
