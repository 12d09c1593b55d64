import type { ClientRequest, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { waitUntil } from './api.js';

/**
 * The `ws` client (installed with @fastify/websocket), typed by the part the tests use: the
 * package ships no types of its own.
 */
export interface WsClient {
  readonly readyState: number;
  readonly _socket: Socket;
  send(data: string): void;
  close(code?: number): void;
  terminate(): void;
  on(event: 'open', listener: () => void): this;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'upgrade', listener: (response: IncomingMessage) => void): this;
  on(event: 'unexpected-response', listener: (request: ClientRequest, response: IncomingMessage) => void): this;
}

type WsConstructor = new (
  url: string,
  options?: { headers?: Record<string, string>; perMessageDeflate?: boolean },
) => WsClient;

export const WebSocket = createRequire(import.meta.url)('ws') as WsConstructor;

export const READY = 'websocket client ready';
export const ACK = 'server received message';

const openSockets = new Set<WsClient>();

/** Drops every socket the tests opened (for afterEach). */
export function terminateWsClients(): void {
  for (const socket of openSockets) socket.terminate();
  openSockets.clear();
}

export const wsUrl = (api: { url: string }, path: string): string => api.url.replace(/^http/, 'ws') + path;

/** A connected client that records every text frame and how the socket ended. */
export class WsEventClient {
  readonly messages: string[] = [];
  closed: { code: number; reason: string } | undefined;
  upgradeHeaders: IncomingHttpHeaders = {};

  private constructor(readonly socket: WsClient) {}

  static open(api: { url: string }, path: string, headers: Record<string, string> = {}): Promise<WsEventClient> {
    const socket = new WebSocket(wsUrl(api, path), { headers });
    openSockets.add(socket);
    socket.on('close', () => openSockets.delete(socket));
    const client = new WsEventClient(socket);
    socket.on('message', (data) => client.messages.push(data.toString('utf8')));
    socket.on('close', (code, reason) => (client.closed = { code, reason: reason.toString('utf8') }));
    socket.on('upgrade', (response) => (client.upgradeHeaders = response.headers));
    return new Promise((resolve, reject) => {
      socket.on('open', () => resolve(client));
      socket.on('error', reject);
    });
  }

  async waitFor(predicate: (message: string) => boolean, timeoutMs = 5_000): Promise<string> {
    await waitUntil(() => this.messages.some(predicate), timeoutMs);
    return this.messages.find(predicate) ?? '';
  }

  /** Sends and waits for the acknowledgement of this very message (rest_cherrypy's routes). */
  async say(text: string): Promise<void> {
    const acks = this.messages.filter((m) => m === ACK).length;
    this.socket.send(text);
    await waitUntil(() => this.messages.filter((m) => m === ACK).length > acks);
  }

  async ended(timeoutMs = 5_000): Promise<{ code: number; reason: string }> {
    await waitUntil(() => this.closed !== undefined, timeoutMs);
    return this.closed ?? { code: 0, reason: '' };
  }
}
