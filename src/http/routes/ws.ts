/**
 * The event WebSockets: rest_cherrypy's `/ws` and `/ws/<session id>` and rest_tornado's
 * `/all_events/<token>` and `/formatted_events/<token>` (docs/routes.md "GET /ws"). Authentication
 * happens before the upgrade, so a refusal is an ordinary HTTP answer (the HTML error page).
 * Compression is never negotiated: salt-api's handshake breaks when a client asks for it.
 *
 * Browsers let any page open a WebSocket to any host, cookies included, and CORS does not apply:
 * salt-api accepts every handshake, so a foreign page could read the event bus with a visitor's
 * session. Here a handshake that names an `Origin` must pass the `cors_origin` check (the server's
 * own origin when unset) or is answered 403 before anything else; clients that send no `Origin`
 * (scripts, pepper) are not affected.
 */
import type { IncomingMessage } from 'node:http';
import websocket from '@fastify/websocket';
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
  RouteOptions,
} from 'fastify';
import type { TokenRecord } from '../../salt/clear-commands.js';
import type { SaltMap } from '../../salt/codec/values.js';
import type { SaltEvent } from '../../salt/event-frame.js';
import { noPermission } from '../auth/auth.js';
import { originAllowed } from '../transport/cors.js';
import { HttpError } from '../transport/errors.js';
import { FormattedEventsView } from '../streams/formatted-events.js';
import { eventJson } from '../streams/sse.js';
import { STREAM_QUEUE, streamOwner } from '../streams/streams.js';
import { serveEventSocket, type EventSocket } from '../streams/ws-stream.js';
import { reapUpgradeSockets } from '../streams/ws-upgrades.js';
import { refuseDeeperPaths, rejectOtherMethods, sendAllow } from './methods.js';
import { lastValue, type Query } from './query.js';
import { tagFilter, type TagFilter } from '../streams/tag-filter.js';
import { headersSetOn } from './reply-headers.js';
import { sessionScope } from './session-scope.js';
import { saltTokenLength, saltTokenPattern } from '../../salt/token-shape.js';
import { auditedRunner } from '../audit/audited-runner.js';

const WS_METHODS = ['GET', 'HEAD'] as const;
const MAX_MESSAGE_BYTES = 65_536;
const NOT_AN_UPGRADE = 'This URL serves WebSocket connections only (Upgrade: websocket).';
export const ORIGIN_REFUSED = 'WebSocket connections from this Origin are not allowed (cors_origin).';
/** Response headers of the hooks that make no sense on a 101. */
const NOT_FOR_UPGRADES = new Set(['connection', 'upgrade', 'content-length', 'content-type', 'transfer-encoding']);

/** Who opened the socket: the Salt token to act with and the session to close it with. */
interface SocketCredentials {
  token: TokenRecord;
  sessionId: string | undefined;
}

type Mode = 'raw' | 'formatted' | 'tornado-all' | 'tornado-formatted';

/** `/ws`, `/ws/:token` (`?token=` as well, `?format_events`), and rest_tornado's `/…/:token`. */
interface WsRoute {
  Querystring: Query;
  Params: { token?: string };
}
type WsRequest = FastifyRequest<WsRoute>;
type WsRouteOptions = RouteOptions<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, WsRoute>;

/** How a handshake proves who opens the socket. */
type Authenticate = (app: FastifyInstance, request: WsRequest) => Promise<SocketCredentials>;

/** What the routes of this plugin share. */
interface WsContext {
  app: FastifyInstance;
  /** Who opened each socket, found when its handshake was authenticated, and its `?tag=` filter. */
  credentials: WeakMap<WsRequest, SocketCredentials & { wanted: TagFilter | undefined }>;
  /** The reply of each handshake in progress: the 101 carries its headers. */
  upgrades: WeakMap<IncomingMessage, FastifyReply>;
}

const rawFrames = new WeakMap<SaltEvent, Buffer>();
const tornadoFrames = new WeakMap<SaltEvent, Buffer>();

/**
 * Frames up to this size are kept with their event; a larger one is encoded for each socket and let
 * go once sent, so that an event the replay ring keeps for minutes is not kept twice over.
 */
const SHARED_FRAME_LIMIT = 64 * 1024;

/** An event's frame, encoded once and shared by every socket of the same kind. */
function sharedFrame(cache: WeakMap<SaltEvent, Buffer>, event: SaltEvent, text: () => string): Buffer {
  let frame = cache.get(event);
  if (frame === undefined) {
    frame = Buffer.from(text(), 'utf8');
    if (frame.length <= SHARED_FRAME_LIMIT) cache.set(event, frame);
  }
  return frame;
}

/** The 101 answer carries what the hooks set (CORS, Set-Cookie, Server…), as salt-api's does. */
function copyHeadersToUpgrades(app: FastifyInstance, pending: WeakMap<IncomingMessage, FastifyReply>): void {
  const server: { on(event: 'headers', listener: (headers: string[], request: IncomingMessage) => void): void } =
    app.websocketServer;
  server.on('headers', (headers, request) => {
    const reply = pending.get(request);
    if (reply === undefined) return;
    pending.delete(request);
    for (const [name, value] of headersSetOn(reply)) {
      if (NOT_FOR_UPGRADES.has(name)) continue;
      for (const one of Array.isArray(value) ? value : [value]) headers.push(`${name}: ${one}`);
    }
  });
}

/**
 * rest_cherrypy: a token given in the URL (path, or `?token=` as CherryPy maps it to the same
 * argument) is looked up as a session id only; otherwise the request's own session.
 */
async function sessionCredentials(app: FastifyInstance, request: WsRequest): Promise<SocketCredentials> {
  const inUrl = request.params.token || lastValue(request.query['token']);
  const session = inUrl ? await app.sessions.resolve(inUrl) : request.saltSession?.session;
  if (session === undefined) throw noPermission();
  return { token: await app.tokenChecks.require(session.token.token), sessionId: session.id };
}

/** rest_tornado: the path holds a Salt token (the route pattern already checked its form). */
async function tokenCredentials(app: FastifyInstance, request: WsRequest): Promise<SocketCredentials> {
  return { token: await app.tokenChecks.require(request.params.token ?? ''), sessionId: undefined };
}

/** The formatted view's own `grains.items` job, run with the socket's token (and audited as the socket's user's). */
function startGrains(app: FastifyInstance, request: WsRequest, token: TokenRecord, tgt: string | string[]): void {
  const chunk: SaltMap = { client: 'local_async', tgt, fun: 'grains.items', token: token.token };
  if (Array.isArray(tgt)) chunk['tgt_type'] = 'list';
  auditedRunner(app, request, app.netapi, token)
    .run(chunk)
    .catch((err: unknown) => {
      request.log.debug({ err }, 'could not start grains.items for the formatted events view');
    });
}

interface SocketFrames {
  /** The frames one bus event becomes on this socket. */
  frames: (event: SaltEvent) => ReadonlyArray<string | Buffer>;
  /** Called once the client said it is ready. */
  onReady: (() => void) | undefined;
}

/** How each kind of socket writes events: raw (shared frames) or through a formatted view. */
function socketFrames(app: FastifyInstance, mode: Mode, request: WsRequest, token: TokenRecord): SocketFrames {
  if (mode === 'raw') {
    return {
      frames: (event) => [sharedFrame(rawFrames, event, () => `data: ${eventJson(event)}\n\n`)],
      onReady: undefined,
    };
  }
  if (mode === 'tornado-all') {
    return { frames: (event) => [sharedFrame(tornadoFrames, event, () => eventJson(event))], onReady: undefined };
  }
  const view = new FormattedEventsView({
    minionsAs: mode === 'formatted' ? 'list' : 'map',
    refreshGrains: (ids) => startGrains(app, request, token, ids),
  });
  if (mode === 'formatted') return { frames: (event) => view.process(event), onReady: undefined };
  return {
    frames: (event) => view.process(event).map((frame) => `${frame}\n\n`),
    onReady: () => startGrains(app, request, token, '*'),
  };
}

function openSocket(context: WsContext, mode: Mode, socket: EventSocket, request: WsRequest): void {
  const { app } = context;
  const creds = context.credentials.get(request);
  if (creds === undefined) {
    socket.terminate();
    return;
  }
  const { frames, onReady } = socketFrames(app, mode, request, creds.token);
  serveEventSocket({
    socket,
    acknowledge: mode === 'raw' || mode === 'formatted',
    subscribe: () => {
      // `?tag=` globs, compiled before the upgrade (in preValidation).
      const { wanted } = creds;
      return app.events.subscribe({
        maxQueue: STREAM_QUEUE,
        overflow: 'error',
        ...(wanted && { match: wanted, tags: wanted.globs }),
      });
    },
    ready: async () => app.events.ready?.(),
    frames,
    onReady,
    streams: app.streams,
    sessionId: creds.sessionId,
    client: `${request.ip}:${request.socket.remotePort ?? '?'}`,
    endAt: creds.token.expire * 1000,
    log: request.log,
  });
}

/**
 * A handshake takes its stream's place before the upgrade, so that a refusal is an ordinary 429;
 * the place is the socket's until it closes, whatever happens to the upgrade.
 */
function holdStreamSlot(app: FastifyInstance, request: WsRequest, { token, sessionId }: SocketCredentials): void {
  const slot = app.streams.take(streamOwner(token, sessionId));
  const socket = request.raw.socket;
  socket.once('close', () => slot.release());
  if (socket.destroyed) slot.release();
}

/** A WebSocket route whose plain-HTTP face (and HEAD) answers 400 once authenticated. */
function socketRoute(
  context: WsContext,
  authenticate: Authenticate,
  mode: (request: WsRequest) => Mode,
): Pick<WsRouteOptions, 'method' | 'preValidation' | 'handler' | 'wsHandler'> {
  const { app } = context;
  const corsOrigin = app.settings.rest.corsOrigin;
  return {
    method: 'GET',
    preValidation: async (request, reply) => {
      const origin = request.headers.origin;
      if (origin !== undefined && !originAllowed(origin, request.headers.host, corsOrigin)) {
        throw new HttpError(403, ORIGIN_REFUSED);
      }
      const wanted = tagFilter(request.query['tag']);
      const credentials = await authenticate(app, request);
      if (request.ws) holdStreamSlot(app, request, credentials);
      context.credentials.set(request, { ...credentials, wanted });
      context.upgrades.set(request.raw, reply);
    },
    handler: async () => {
      throw new HttpError(400, NOT_AN_UPGRADE);
    },
    wsHandler: (socket: EventSocket, request) => openSocket(context, mode(request), socket, request),
  };
}

/**
 * rest_cherrypy's `/ws` and `/ws/<session id>`: session routes. Presence of the flag is enough
 * (`/ws?format_events`); other arguments are accepted and ignored, as CherryPy hands them to the
 * handler's **kwargs.
 */
async function cherryPyRoutes(context: WsContext): Promise<void> {
  const mode = (request: WsRequest): Mode => (Object.hasOwn(request.query, 'format_events') ? 'formatted' : 'raw');
  await sessionScope(context.app, (scope) => {
    sendAllow(scope, WS_METHODS);
    for (const url of ['/ws', '/ws/:token']) {
      scope.route<WsRoute>({ url, ...socketRoute(context, sessionCredentials, mode) });
    }
    refuseDeeperPaths(scope, '/ws/:token/*', ['GET']);
    // salt-api's WebSocket tool refuses every method but GET before the body is considered.
    for (const url of ['/ws', '/ws/:token', '/ws/:token/*']) {
      rejectOtherMethods(scope, url, [...WS_METHODS], { lengthRule: 'none' });
    }
  });
}

/**
 * rest_tornado's URLs (salt-apid extension): a path that is not a token of the right form is not
 * one of these routes (404), as in Tornado's URL patterns.
 */
async function tornadoRoutes(context: WsContext): Promise<void> {
  const tokenPattern = saltTokenPattern(saltTokenLength(context.app.settings.master.hashType));
  await context.app.register(async (scope) => {
    for (const [path, mode] of [
      ['all_events', 'tornado-all'],
      ['formatted_events', 'tornado-formatted'],
    ] as const) {
      const url = `/${path}/:token(^${tokenPattern}$)`;
      scope.route<WsRoute>({ url, ...socketRoute(context, tokenCredentials, () => mode) });
      rejectOtherMethods(scope, url, [...WS_METHODS], { lengthRule: 'none' });
    }
  });
}

export async function wsRoutes(app: FastifyInstance): Promise<void> {
  await app.register(websocket, {
    options: { perMessageDeflate: false, maxPayload: MAX_MESSAGE_BYTES },
    errorHandler: (err, socket, request) => {
      request.log.debug({ err }, 'event WebSocket error');
      socket.terminate();
    },
  });
  const context: WsContext = { app, credentials: new WeakMap(), upgrades: new WeakMap() };
  copyHeadersToUpgrades(app, context.upgrades);
  reapUpgradeSockets(app);
  await cherryPyRoutes(context);
  await tornadoRoutes(context);
}
