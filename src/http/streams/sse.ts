import type { Writable } from 'node:stream';
import { SlowConsumerError } from '../../salt/errors.js';
import type { SaltEvent } from '../../salt/event-frame.js';
import type { Subscription } from '../../salt/subscription.js';
import { jsonDumps } from '../../python/json-dumps.js';
import { callAt } from './streams.js';

/**
 * Server-Sent Events in salt-api's framing (docs/routes.md "GET /events"): `retry: 400`, then per
 * bus event `tag: <tag>` and `data: <JSON of {"data", "tag"}>` and a blank line. Each event is
 * serialised once however many clients stream it. A client holds at most its socket buffer plus its
 * subscription's queue: writing waits for the socket to drain, and a client that stops reading
 * overflows its queue and is cut off instead of buffering without bound.
 *
 * Tags are chosen by whoever fires the event (a hook path, a runner's `event.send`, a minion),
 * and a CR or LF in a raw field would end it and let the sender write whole fake events into
 * every other client's stream (the SSE spec ends a line at CR, LF or CRLF). The data line is
 * JSON, whose strings escape every control character; the tag line percent-encodes them.
 */
export const SSE_PREAMBLE = 'retry: 400\n';
const KEEPALIVE = ': keepalive\n\n';

/** C0 controls and DEL: what may not appear raw on the tag line. */
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/g;

/**
 * The tag as the `tag:` line shows it: unchanged unless it holds control characters, which are
 * written as `%XX`. The exact tag is always in the JSON of the data line.
 */
export function tagLineText(tag: string): string {
  return tag.replace(CONTROL_CHARS, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

const jsonOf = new WeakMap<SaltEvent, string>();
const framed = new WeakMap<SaltEvent, string>();

/** The JSON salt-api puts after `data: ` (also the `/ws` payload), computed once per event. */
export function eventJson(event: SaltEvent): string {
  if (event.json !== undefined) return event.json;
  let json = jsonOf.get(event);
  if (json === undefined) {
    json = jsonDumps({ data: event.data, tag: event.tag });
    jsonOf.set(event, json);
  }
  return json;
}

/** The SSE block of an event, computed on first use and shared by every stream. */
export function sseBlock(event: SaltEvent): string {
  let block = framed.get(event);
  if (block === undefined) {
    block = `tag: ${tagLineText(event.tag)}\ndata: ${eventJson(event)}\n\n`;
    framed.set(event, block);
  }
  return block;
}

export type StreamEnd = 'client-closed' | 'slow-consumer' | 'expired' | 'bus-closed';

export interface SseStreamOptions {
  subscription: Subscription;
  out: Writable;
  /** Comment lines keep proxies from cutting a quiet stream (default 15 s; 0 = none). */
  keepAliveMs?: number;
  /** Epoch ms at which the stream ends (the token's expiry). */
  endAt?: number;
  logger?: { warn(details: object, message: string): void };
  /** Names the client in the log line written when it is cut off. */
  client?: string;
  /** `events_ids`: each event's `id:` line (events_ids); undefined writes none, as salt-api. */
  idOf?: (event: SaltEvent) => string | undefined;
  /** Written after the preamble, before the live events: a resumed stream's gap notice and replay. */
  replay?: { gap: string | undefined; events: readonly SaltEvent[] };
  /** Live events the replay already sent are skipped: true for those. */
  alreadySent?: (event: SaltEvent) => boolean;
}

const idBlocks = new WeakMap<SaltEvent, string>();

/** The SSE block of an event with its `id:` line first, shared by every resumable stream. */
export function sseBlockWithId(event: SaltEvent, id: string | undefined): string {
  if (id === undefined) return sseBlock(event);
  let block = idBlocks.get(event);
  if (block === undefined) {
    block = `id: ${id}\n${sseBlock(event)}`;
    idBlocks.set(event, block);
  }
  return block;
}

/**
 * Events whose JSON is at most this long are written as one block built once and shared by every
 * stream. A larger one is written in pieces around its JSON, so that the only copy kept with the
 * event is its JSON: a shared block (and its `id:` variant) would be two more copies of a large
 * event for as long as the event lives, and the replay ring keeps events for minutes.
 */
const SHARED_BLOCK_LIMIT = 64 * 1024;

/** Writes an event's block; false when the socket's buffer is full. */
function writeEvent(out: Writable, event: SaltEvent, id: string | undefined): boolean {
  const json = eventJson(event);
  if (json.length <= SHARED_BLOCK_LIMIT) return out.write(sseBlockWithId(event, id));
  // Not corked: a corked ServerResponse answers false without ever emitting 'drain'. Node's HTTP
  // layer corks the socket for the rest of the tick anyway, so the pieces leave together.
  out.write(`${id === undefined ? '' : `id: ${id}\n`}tag: ${tagLineText(event.tag)}\ndata: `);
  out.write(json);
  return out.write('\n\n');
}

/** The `event: gap` block that tells a resuming client some events are lost to it. */
export function gapBlock(missedFrom: string | null, missedTo: string | null): string {
  return `event: gap\ndata: ${jsonDumps({ missed_from: missedFrom, missed_to: missedTo })}\n\n`;
}

type DrainOutcome = 'drained' | StreamEnd;

/**
 * Waits for the socket to drain, or reports why streaming must stop instead. One per stream: it
 * holds a single reaction to the end of the subscription, which each wait borrows, rather than a
 * reaction per wait — a stream that waits for its socket a million times over the twelve hours of
 * its token would otherwise keep every one of them (and what they hold) until it ends.
 */
class DrainWaiter {
  private wake: ((outcome: DrainOutcome) => void) | undefined;

  constructor(
    private readonly out: Writable,
    private readonly sub: Subscription,
  ) {
    void sub.whenClosed().then((err) => this.wake?.(endOf(err)));
  }

  wait(): Promise<DrainOutcome> {
    // Closed already (its queue still being written): the reaction above has run, or runs before
    // anything could wake this wait; ask the settled promise instead.
    if (this.sub.closed) return this.sub.whenClosed().then(endOf);
    const { out } = this;
    return new Promise((resolve) => {
      const settle = (outcome: DrainOutcome): void => {
        if (this.wake !== settle) return;
        this.wake = undefined;
        out.off('drain', onDrain);
        out.off('close', onClose);
        resolve(outcome);
      };
      const onDrain = (): void => settle('drained');
      const onClose = (): void => settle('client-closed');
      this.wake = settle;
      out.once('drain', onDrain);
      out.once('close', onClose);
    });
  }
}

function endOf(err: Error | undefined): StreamEnd {
  return err instanceof SlowConsumerError ? 'slow-consumer' : 'bus-closed';
}

/** Streams events until the client leaves, falls behind, the token expires or the bus closes. */
export async function streamEvents(options: SseStreamOptions): Promise<StreamEnd> {
  const { subscription: sub, out } = options;
  let end: StreamEnd | undefined;
  const finish = (reason: StreamEnd): void => {
    end ??= reason;
    sub.close();
  };
  const onClose = (): void => finish('client-closed');
  out.once('close', onClose);
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  const keepAlive =
    keepAliveMs > 0
      ? setInterval(() => {
          if (out.writableLength === 0) out.write(KEEPALIVE);
        }, keepAliveMs)
      : undefined;
  const cancelExpiry = options.endAt !== undefined ? callAt(options.endAt, () => finish('expired')) : undefined;
  const write = (event: SaltEvent): boolean => writeEvent(out, event, options.idOf?.(event));
  const drain = new DrainWaiter(out, sub);
  try {
    out.write(SSE_PREAMBLE);
    if (options.replay !== undefined) {
      if (options.replay.gap !== undefined) out.write(options.replay.gap);
      for (const event of options.replay.events) {
        if (write(event)) continue;
        const outcome = await drain.wait();
        if (outcome !== 'drained') {
          finish(outcome);
          break;
        }
      }
    }
    for await (const event of sub) {
      if (options.alreadySent?.(event) === true) continue;
      if (write(event)) continue;
      const outcome = await drain.wait();
      if (outcome !== 'drained') {
        finish(outcome);
        break;
      }
    }
  } catch (err) {
    if (!(err instanceof SlowConsumerError)) throw err;
    end ??= 'slow-consumer';
  } finally {
    clearInterval(keepAlive);
    cancelExpiry?.();
    out.off('close', onClose);
    sub.close();
  }
  const reason = end ?? 'bus-closed';
  if (reason === 'slow-consumer') {
    options.logger?.warn(
      { client: options.client, queued: sub.maxQueue },
      'cut off an event stream client that stopped reading',
    );
  }
  // A client that stops reading would never take the rest of a graceful end: drop its connection.
  if (reason === 'slow-consumer') out.destroy();
  else if (reason !== 'client-closed') out.end();
  return reason;
}
