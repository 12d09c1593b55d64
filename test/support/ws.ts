import type { ClientRequest, IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

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

type WsConstructor = new (url: string, options?: { headers?: Record<string, string>; perMessageDeflate?: boolean }) => WsClient;

export const WebSocket = createRequire(import.meta.url)('ws') as WsConstructor;
