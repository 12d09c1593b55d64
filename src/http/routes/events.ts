/**
 * `GET /events` (docs/routes.md "GET /events"): every event of the master bus as Server-Sent
 * Events, in salt-api's framing. One bus connection serves every stream; each client reads through
 * its own bounded queue and is cut off when it stops reading.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TokenRecord } from '../../salt/clear-commands.js';
import { noPermission } from '../auth/auth.js';
import { HttpError, nothingMatchesError } from '../transport/errors.js';
import { isSessionIdShape, presentedSessionId } from '../auth/sessions.js';
import { couldBeSaltToken, saltTokenLength } from '../../salt/token-shape.js';
import { gapBlock, streamEvents, type SseStreamOptions } from '../streams/sse.js';
import type { EventRing } from '../streams/event-ring.js';
import type { SaltEvent } from '../../salt/event-frame.js';
import { tagFilter, type TagFilter } from '../streams/tag-filter.js';
import { STREAM_QUEUE, streamOwner } from '../streams/streams.js';
import { refuseDeeperPaths, rejectOtherMethods, sendAllow } from './methods.js';
import { lastValue, refuseUndeclaredQuery, type Query } from './query.js';
import { headersSetOn } from './reply-headers.js';
import { sessionScope } from './session-scope.js';

const EVENTS_METHODS = ['GET', 'HEAD'] as const;

const URL_TOKENS_REFUSED =
  'Tokens in the URL are not accepted on /events: send the token in the X-Auth-Token header or the session_id cookie.';

interface StreamCredentials {
  token: TokenRecord;
  sessionId: string | undefined;
}

/** `/events` and `/events/:token`; `?token=` and `?salt_token=` when URL tokens are allowed. */
interface EventsRoute {
  Querystring: Query;
  Params: { token?: string };
}

/** `events_ids`: ids on every event and, for a client sending `Last-Event-ID`, what it missed. */
function resumeFrom(
  ring: EventRing | undefined,
  lastEventId: string | string[] | undefined,
  wanted: (tag: string) => boolean,
): Pick<SseStreamOptions, 'idOf' | 'replay' | 'alreadySent'> {
  if (ring === undefined) return {};
  const idOf = (event: SaltEvent): string | undefined => ring.idOf(event);
  const last = Array.isArray(lastEventId) ? lastEventId[0] : lastEventId;
  if (last === undefined || last === '') return { idOf };
  const resume = ring.resume(last, wanted);
  const newest = resume.events.length === 0 ? 0 : (ring.seqOf(resume.events[resume.events.length - 1]!) ?? 0);
  return {
    idOf,
    replay: {
      gap: resume.kind === 'gap' ? gapBlock(resume.missedFrom, resume.missedTo) : undefined,
      events: resume.events,
    },
    alreadySent: (event) => (ring.seqOf(event) ?? Infinity) <= newest,
  };
}

/** Answers 200 and streams the bus as Server-Sent Events until the stream ends. */
async function stream(
  app: FastifyInstance,
  request: FastifyRequest<EventsRoute>,
  reply: FastifyReply<EventsRoute>,
  { token, sessionId }: StreamCredentials,
  wanted: TagFilter | undefined,
): Promise<void> {
  // The streams' reader starts with the first stream: the 200 waits until it reads the bus, so that
  // nothing the client causes once it has the 200 is missed.
  if (request.method !== 'HEAD') await app.events.ready?.();
  // Hijacked replies skip Fastify's header writing: carry over what the hooks set (CORS, cookie…).
  const headers: OutgoingHttpHeaders = Object.fromEntries(headersSetOn(reply));
  headers['content-type'] = 'text/event-stream;charset=utf-8';
  headers['cache-control'] = 'no-cache';
  headers.connection = 'keep-alive';
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, headers);
  if (request.method === 'HEAD') {
    out.end();
    return;
  }
  const client = `${request.ip}:${request.socket.remotePort ?? '?'}`;
  const subscription = app.events.subscribe({
    maxQueue: STREAM_QUEUE,
    overflow: 'error',
    ...(wanted && { match: wanted, tags: wanted.globs }),
  });
  // Subscribed first, then the ring read: nothing falls between the replay and the live events.
  const resumed = resumeFrom(app.eventRing, request.headers['last-event-id'], wanted ?? (() => true));
  const unregister = app.streams.add({
    kind: 'sse',
    sessionId,
    client,
    close: () => subscription.close(),
  });
  try {
    const end = await streamEvents({
      subscription,
      out,
      endAt: token.expire * 1000,
      logger: request.log,
      client,
      ...resumed,
    });
    if (end === 'slow-consumer') app.streams.noteSlowConsumer();
  } finally {
    unregister();
  }
}

export async function eventsRoutes(app: FastifyInstance): Promise<void> {
  const { debug, eventsUrlTokens } = app.settings.rest;
  const tokenLength = saltTokenLength(app.settings.master.hashType);

  /** The token a request presents: URL forms first (salt-api's order), then header or cookie. */
  function presentedToken(request: FastifyRequest<EventsRoute>): string | undefined {
    const { params, query } = request;
    if (!eventsUrlTokens) {
      if (Object.keys(query).some((name) => name !== 'tag')) throw new HttpError(400, URL_TOKENS_REFUSED);
      // Upstream's handler takes no path argument any more.
      if (params.token !== undefined) throw nothingMatchesError();
      return presentedSessionId(request);
    }
    refuseUndeclaredQuery(query, ['token', 'salt_token', 'tag'], debug);
    return params.token || lastValue(query['token']) || lastValue(query['salt_token']) || presentedSessionId(request);
  }

  /**
   * A session id names its session's Salt token; anything else is taken as a Salt token. What is
   * neither a live session nor of a Salt token's form is refused without asking the master.
   */
  async function authenticate(request: FastifyRequest<EventsRoute>): Promise<StreamCredentials> {
    const presented = presentedToken(request);
    if (presented === undefined) throw noPermission();
    const session = isSessionIdShape(presented) ? await app.sessions.resolve(presented) : undefined;
    if (session === undefined && !couldBeSaltToken(presented, tokenLength)) throw noPermission();
    const record = await app.tokenChecks.require(session?.token.token ?? presented);
    return { token: record, sessionId: session?.id };
  }

  async function events(request: FastifyRequest<EventsRoute>, reply: FastifyReply<EventsRoute>): Promise<void> {
    const { token, sessionId } = await authenticate(request);
    const wanted = tagFilter(request.query['tag']);
    // Taken before the answer starts, so that a refusal is an ordinary 429.
    const slot = app.streams.take(streamOwner(token, sessionId));
    try {
      await stream(app, request, reply, { token, sessionId }, wanted);
    } finally {
      slot.release();
    }
  }

  await sessionScope(app, (scope) => {
    sendAllow(scope, EVENTS_METHODS);
    scope.get<EventsRoute>('/events', events);
    scope.get<EventsRoute>('/events/:token', events);
    refuseDeeperPaths(scope, '/events/:token/*', ['GET']);
    for (const url of ['/events', '/events/:token', '/events/:token/*']) {
      rejectOtherMethods(scope, url, [...EVENTS_METHODS]);
    }
  });
}
