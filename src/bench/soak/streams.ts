/**
 * The soak's stream clients: `/events` readers that resume with `Last-Event-ID` as EventSource does,
 * reading steadily, slowly, or stalling until the server cuts them off; and `/ws` clients. Every
 * `/events` reader checks the ids it gets (`<boot>-<sequence>`, `events_ids`): on one instance they
 * must follow each other with no hole and no repeat, but for what an `event: gap` block owns up to.
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
  reconnects: number;
  /** Streams the server ended (slow consumer, session gone, shutdown), each followed by a resume. */
  endedByServer: number;
  /** A resume that reached another boot (a restarted process or another worker): not comparable. */
  bootChanges: number;
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
    reconnects: 0,
    endedByServer: 0,
    bootChanges: 0,
    refused: 0,
    wsMessages: 0,
    wsReconnects: 0,
  };
}

function parseId(id: string): { boot: string; seq: number } | undefined {
  const match = /^([0-9a-f]+)-([0-9]+)$/.exec(id);
  return match ? { boot: match[1]!, seq: Number(match[2]) } : undefined;
}

/** What one reader has seen, across its reconnects. */
class IdChecker {
  lastId: string | undefined;
  private boot: string | undefined;
  private seq = 0;

  constructor(private readonly stats: StreamStats) {}

  onEvent(id: string): void {
    const parsed = parseId(id);
    if (!parsed) return;
    this.stats.delivered++;
    if (parsed.boot !== this.boot) {
      if (this.boot !== undefined) this.stats.bootChanges++;
      this.boot = parsed.boot;
    } else if (parsed.seq <= this.seq) {
      this.stats.duplicated++;
      return;
    } else if (parsed.seq > this.seq + 1) {
      this.stats.lost += parsed.seq - this.seq - 1;
    }
    this.seq = parsed.seq;
    this.lastId = id;
  }

  onGap(data: string): void {
    const to = /"missed_to": "([0-9a-f]+-[0-9]+)"/.exec(data)?.[1];
    const parsed = to === undefined ? undefined : parseId(to);
    if (!parsed || parsed.boot !== this.boot) return;
    if (parsed.seq > this.seq) this.stats.gapped += parsed.seq - this.seq;
    this.seq = Math.max(this.seq, parsed.seq);
    this.lastId = to;
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
  const data = lines.find((line) => line.startsWith('data: '))?.slice(6) ?? '';
  if (lines.includes('event: gap')) checker.onGap(data);
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

export async function runReader(context: ReaderContext, kind: ReaderKind): Promise<void> {
  const checker = new IdChecker(context.stats);
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
