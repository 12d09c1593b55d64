/**
 * One event WebSocket once upgraded (docs/routes.md "GET /ws"): the client says
 * `websocket client ready`, then every bus event becomes zero or more text frames. A client
 * holds at most about HIGH_WATER bytes of unsent frames plus its subscription's queue: past
 * HIGH_WATER the stream waits for the socket to flush while events queue, and a client that
 * lets the queue overflow (or keeps sending while not reading) is cut off — never waited for.
 */
import type { FastifyBaseLogger } from 'fastify';
import { SaltError, SlowConsumerError } from '../../salt/errors.js';
import type { SaltEvent } from '../../salt/event-frame.js';
import type { Subscription } from '../../salt/subscription.js';
import { callAt, STREAM_QUEUE, type StreamRegistry } from './streams.js';

/** What the stream uses of a `ws` WebSocket. */
export interface EventSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string | Buffer, options: { binary: boolean }, cb?: (err?: Error) => void): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'message', listener: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): this;
  on(event: 'close', listener: () => void): this;
}

export const CLIENT_READY = 'websocket client ready';
export const ACKNOWLEDGEMENT = 'server received message';

const OPEN = 1;
const TEXT = { binary: false } as const;
/** Unsent bytes a client may hold before the stream waits for it. */
export const HIGH_WATER = 1024 * 1024;
/** RFC 6455 codes: normal closure, going away, policy violation. */
const NORMAL_CLOSURE = 1000;
const TOKEN_EXPIRED = 'token expired';
const GOING_AWAY = 1001;
const POLICY_VIOLATION = 1008;
/** A client that is not reading will not read the close frame either: drop it after this. */
const CUT_OFF_GRACE_MS = 2_000;

type PumpEnd = 'slow' | 'closed' | 'bus-closed';

export interface EventSocketOptions {
  socket: EventSocket;
  /** rest_cherrypy answers every message with `server received message`; rest_tornado stays silent. */
  acknowledge: boolean;
  /** Opens the bus subscription when the client is ready. */
  subscribe(): Subscription;
  /**
   * Resolves once the subscription is fed (the streams' reader, which the first stream starts, reads
   * the bus): the client's ready message is acknowledged, and `onReady` runs, only then.
   */
  ready?: (() => Promise<void>) | undefined;
  /** The frames an event becomes on this socket (shared Buffers where the text is per event). */
  frames(event: SaltEvent): ReadonlyArray<string | Buffer>;
  /** Runs once, after the subscription is open (e.g. starting a grains.items job). */
  onReady?: (() => void) | undefined;
  streams: StreamRegistry;
  sessionId: string | undefined;
  /** address:port of the client, for logs. */
  client: string;
  /** Epoch ms at which the socket is closed (the token's expiry), as `/events` ends then. */
  endAt?: number;
  log: FastifyBaseLogger;
}

function messageText(data: Buffer | ArrayBuffer | Buffer[]): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}

/**
 * Sends the subscription's events as frames until the stream ends, waiting for the socket to flush
 * past HIGH_WATER; says why it ended.
 */
async function pumpEvents(
  sub: Subscription,
  options: EventSocketOptions,
  socketClosed: () => boolean,
): Promise<PumpEnd> {
  const { socket, client, log } = options;
  let wake: ((end: PumpEnd) => void) | undefined;
  const endOf = (err: Error | undefined): PumpEnd =>
    err instanceof SlowConsumerError ? 'slow' : socketClosed() ? 'closed' : 'bus-closed';
  // One listener for the whole stream: a wait below borrows it rather than adding its own.
  void sub.whenClosed().then((err) => wake?.(endOf(err)));
  try {
    for await (const event of sub) {
      for (const frame of options.frames(event)) {
        if (socket.readyState !== OPEN) return 'closed';
        if (socket.bufferedAmount + frame.length <= HIGH_WATER) {
          socket.send(frame, TEXT);
          continue;
        }
        const flushed = await new Promise<PumpEnd | 'flushed'>((resolve) => {
          wake = resolve;
          socket.send(frame, TEXT, (err) => resolve(err ? 'closed' : 'flushed'));
        });
        wake = undefined;
        if (flushed !== 'flushed') return flushed;
      }
    }
  } catch (err) {
    if (err instanceof SlowConsumerError) return 'slow';
    if (!(err instanceof SaltError)) throw err;
    // The bus closed the subscription (shutting down, no master connection).
    log.debug({ err, client }, 'event subscription of a WebSocket ended');
    return 'bus-closed';
  }
  return endOf(undefined);
}

/** Serves the event protocol on an upgraded socket until either side closes it. */
export function serveEventSocket(options: EventSocketOptions): void {
  const { socket, client, log } = options;
  let subscription: Subscription | undefined;
  let socketClosed = false;
  let cutOff = false;

  const cancelExpiry = options.endAt === undefined ? undefined : callAt(options.endAt, expire);
  const unregister = options.streams.add({
    kind: 'ws',
    sessionId: options.sessionId,
    client,
    close: (reason) => socket.close(NORMAL_CLOSURE, reason),
  });

  function cutOffSlowClient(): void {
    if (cutOff) return;
    cutOff = true;
    options.streams.noteSlowConsumer();
    log.warn({ client, queued: STREAM_QUEUE }, 'cut off an event WebSocket client that stopped reading');
    subscription?.close();
    socket.close(POLICY_VIOLATION, 'client is not reading events');
    setTimeout(() => socket.terminate(), CUT_OFF_GRACE_MS).unref();
  }

  function expire(): void {
    subscription?.close();
    socket.close(NORMAL_CLOSURE, TOKEN_EXPIRED);
    setTimeout(() => socket.terminate(), CUT_OFF_GRACE_MS).unref();
  }

  async function start(): Promise<void> {
    const sub = options.subscribe();
    subscription = sub;
    // Events that come meanwhile wait in the subscription's queue.
    await options.ready?.();
    if (socketClosed) return;
    options.onReady?.();
    pumpEvents(sub, options, () => socketClosed).then(
      (end) => {
        if (end === 'slow') cutOffSlowClient();
        else if (end === 'bus-closed' && !socketClosed) socket.close(GOING_AWAY, 'event bus closed');
      },
      (err: unknown) => {
        log.error({ err, client }, 'event WebSocket stream failed');
        socket.terminate();
      },
    );
  }

  function acknowledge(): void {
    if (!options.acknowledge || cutOff) return;
    // A client that keeps talking without reading the answers must not grow our buffer.
    if (socket.bufferedAmount > HIGH_WATER) cutOffSlowClient();
    else if (socket.readyState === OPEN) socket.send(ACKNOWLEDGEMENT, TEXT);
  }

  socket.on('message', (data) => {
    if (subscription === undefined && messageText(data) === CLIENT_READY) {
      start().then(acknowledge, (err: unknown) => {
        log.error({ err, client }, 'event WebSocket stream failed');
        socket.terminate();
      });
      return;
    }
    acknowledge();
  });

  socket.on('close', () => {
    socketClosed = true;
    cancelExpiry?.();
    unregister();
    subscription?.close();
  });
}
