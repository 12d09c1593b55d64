/**
 * The soak's stream clients: `/events` readers that resume with `Last-Event-ID` as EventSource does,
 * reading steadily, slowly, or stalling until the server cuts them off; and `/ws` clients. Event ids
 * (`events_ids`) are named after the event and the master, the same on every worker, so a reader is
 * checked against the bus's own order: one more reader, the recorder, numbers every id it sees, and
 * every other reader's ids must follow each other in that order with no hole and no repeat, across
 * its resumes and whichever worker serves it, but for what an `event: gap` block owns up to.
 */
import { get, type ClientRequest, type IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { sleep } from '../events-client.js';

export type ReaderKind = 'steady' | 'slow' | 'stall';

export interface StreamStats {
  delivered: number;
  duplicated: number;
  lost: number;
  /** Events an `event: gap` block said were no longer held. */
  gapped: number;
  /** Events the recorder never saw (it was itself cut off then): not checked. */
  unverifiable: number;
  reconnects: number;
  /** Streams the server ended (slow consumer, session gone, shutdown), each followed by a resume. */
  endedByServer: number;
  refused: number;
  wsMessages: number;
  wsReconnects: number;
}

export function emptyStreamStats(): StreamStats {
  return {
    delivered: 0,
    duplicated: 0,
    lost: 0,
    gapped: 0,
    unverifiable: 0,
    reconnects: 0,
    endedByServer: 0,
    refused: 0,
    wsMessages: 0,
    wsReconnects: 0,
  };
}

/** How long an id may wait for the recorder to see it before it is counted unverifiable. */
const RECORDER_LAG_MS = 10_000;
/** Ids the bus order remembers: a resume reaches back at most the replay ring's 300 s. */
const ORDER_KEEP_MS = 15 * 60_000;

/** The bus's order of events, as the recorder reads it: each id's place. */
export class BusOrder {
  private readonly places = new Map<string, number>();
  private readonly added: Array<{ id: string; at: number }> = [];
  /** The oldest entry of `added` still remembered (shifting a long array would copy it each time). */
  private head = 0;
  private next = 0;

  add(id: string, now = Date.now()): void {
    if (this.places.has(id)) return;
    this.places.set(id, this.next++);
    this.added.push({ id, at: now });
    while (this.head < this.added.length && this.added[this.head]!.at < now - ORDER_KEEP_MS) {
      this.places.delete(this.added[this.head++]!.id);
    }
    if (this.head > 4096 && this.head * 2 > this.added.length) {
      this.added.splice(0, this.head);
      this.head = 0;
    }
  }

  placeOf(id: string): number | undefined {
    return this.places.get(id);
  }
}

/** What one reader has seen, across its reconnects, checked against the bus order. */
class IdChecker {
  lastId: string | undefined;
  private place: number | undefined;
  private gapOpen = false;
  private readonly pending: Array<{ id: string; at: number } | { gap: true }> = [];
  private readonly seen = new Set<string>();

  constructor(
    private readonly stats: StreamStats,
    private readonly order: BusOrder,
    /** The recorder: it makes the order rather than being checked against it. */
    private readonly recorder = false,
  ) {}

  onEvent(id: string): void {
    this.lastId = id;
    if (this.recorder) return this.order.add(id);
    this.stats.delivered++;
    if (this.seen.has(id)) {
      this.stats.duplicated++;
      return;
    }
    this.seen.add(id);
    if (this.seen.size > 50_000) this.seen.delete(this.seen.values().next().value!);
    this.pending.push({ id, at: Date.now() });
    this.check();
  }

  onGap(): void {
    if (!this.recorder) this.pending.push({ gap: true });
  }

  /** Checks what the recorder has seen by now; `final`: what it never saw is unverifiable. */
  check(final = false): void {
    const now = Date.now();
    while (this.pending.length > 0) {
      const item = this.pending[0]!;
      if ('gap' in item) {
        this.gapOpen = true;
      } else {
        const place = this.order.placeOf(item.id);
        if (place === undefined && !final && now - item.at < RECORDER_LAG_MS) return;
        if (place === undefined) this.stats.unverifiable++;
        else this.follow(place);
      }
      this.pending.shift();
    }
  }

  private follow(place: number): void {
    const missed = this.place === undefined ? 0 : place - this.place - 1;
    if (missed > 0) {
      if (this.gapOpen) this.stats.gapped += missed;
      else this.stats.lost += missed;
    }
    this.gapOpen = false;
    this.place = this.place === undefined ? place : Math.max(this.place, place);
  }
}

export interface ReaderContext {
  base: string;
  token: () => Promise<string>;
  /** The token was refused (401): log in again before the next try. */
  invalidate: () => void;
  stats: StreamStats;
  running: () => boolean;
}

interface ReadOutcome {
  status: number;
  /** The reader dropped the connection itself (its network flap, or giving up on a stall). */
  byClient: boolean;
}

/** One connection of a reader: resolves when the stream ends, for whatever reason. */
function readOnce(context: ReaderContext, token: string, checker: IdChecker, kind: ReaderKind): Promise<ReadOutcome> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'X-Auth-Token': token };
    if (checker.lastId !== undefined) headers['Last-Event-ID'] = checker.lastId;
    let byClient = false;
    const drop = (): void => {
      byClient = true;
      request.destroy();
    };
    const timers: NodeJS.Timeout[] = [];
    const done = (status: number): void => {
      for (const timer of timers) clearTimeout(timer);
      resolve({ status, byClient });
    };
    const request: ClientRequest = get(`${context.base}/events`, { headers, agent: false }, (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        res.resume();
        return done(res.statusCode ?? 0);
      }
      let partial = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const blocks = (partial + chunk).split('\n\n');
        partial = blocks.pop() ?? '';
        for (const block of blocks) readBlock(block, checker);
      });
      res.on('close', () => done(200));
      res.on('error', () => undefined);
      pace(res, kind, timers, drop);
    });
    request.on('error', () => done(0));
    // Every reader drops its connection now and then, as networks do, and resumes.
    timers.push(setTimeout(drop, 20_000 + Math.random() * 20_000));
  });
}

function readBlock(block: string, checker: IdChecker): void {
  const lines = block.split('\n');
  const id = lines.find((line) => line.startsWith('id: '))?.slice(4);
  if (lines.includes('event: gap')) checker.onGap();
  else if (id !== undefined) checker.onEvent(id);
}

/** How a reader reads: steadily; pausing 2 s in every 5; or not at all after a while. */
function pace(res: IncomingMessage, kind: ReaderKind, timers: NodeJS.Timeout[], abort: () => void): void {
  if (kind === 'slow') {
    const cycle = (): void => {
      res.pause();
      timers.push(
        setTimeout(() => {
          res.resume();
          timers.push(setTimeout(cycle, 3_000));
        }, 2_000),
      );
    };
    timers.push(setTimeout(cycle, 3_000));
  } else if (kind === 'stall') {
    timers.push(setTimeout(() => res.pause(), 5_000));
    // The server should cut a reader that stopped reading; if it has not after a minute, give up on it.
    timers.push(setTimeout(abort, 65_000));
  }
}

/** `recorder`: this reader makes `order` (a steady reader) instead of being checked against it. */
export async function runReader(
  context: ReaderContext,
  kind: ReaderKind,
  order: BusOrder,
  recorder = false,
): Promise<void> {
  const checker = new IdChecker(context.stats, order, recorder);
  let first = true;
  while (context.running()) {
    const { status, byClient } = await readOnce(context, await context.token(), checker, kind);
    if (!context.running()) break;
    if (!first) context.stats.reconnects++;
    first = false;
    if (status !== 200) context.stats.refused++;
    else if (!byClient) context.stats.endedByServer++;
    if (status === 401) context.invalidate();
    // EventSource's own pace: a short wait, longer when refused.
    await sleep(status === 200 ? 200 : 1_000);
  }
  // What the recorder never saw (it stopped with the readers) is unverifiable.
  checker.check(true);
}

export async function runWsClient(context: ReaderContext): Promise<void> {
  while (context.running()) {
    const token = await context.token();
    const refused = await new Promise<boolean>((resolve) => {
      const socket = new WebSocket(`${context.base.replace(/^http/, 'ws')}/ws`, {
        headers: { 'X-Auth-Token': token },
      });
      const timer = setTimeout(() => socket.terminate(), 15_000 + Math.random() * 15_000);
      let opened = false;
      socket.on('open', () => {
        opened = true;
        socket.send('websocket client ready');
      });
      socket.on('message', () => context.stats.wsMessages++);
      socket.on('error', () => undefined);
      socket.on('unexpected-response', (_request, response) => {
        clearTimeout(timer);
        response.resume();
        resolve(response.statusCode === 401);
      });
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(!opened);
      });
    });
    if (refused) {
      context.stats.refused++;
      context.invalidate();
    }
    context.stats.wsReconnects++;
    await sleep(500);
  }
}
