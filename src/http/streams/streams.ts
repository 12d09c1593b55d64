import type { TokenRecord } from '../../salt/clear-commands.js';
import { HttpError } from '../transport/errors.js';
import { sessionOwner } from '../auth/sessions.js';

/**
 * The event streams open right now (`/events`, `/ws`…): so that logging out ends the streams of
 * that session, shutting down closes them all, and `/stats` can count them. Also the places streams
 * take before they open, bounded per session and per eauth user (`max_streams_per_session`,
 * `max_streams_per_user`): each stream filters every bus event, so one account must not open
 * hundreds of them.
 */
export type StreamKind = 'sse' | 'ws';

/** Whom a stream is counted against. */
export interface StreamOwner {
  /** The session it is opened with or, without one, its Salt token. */
  session: string;
  /** The eauth user (backend and name) of its Salt token. */
  user: string;
}

/** The owner of a stream opened with `token`, through the session `sessionId` if any. */
export function streamOwner(token: TokenRecord, sessionId: string | undefined): StreamOwner {
  return {
    session: sessionId === undefined ? `token:${token.token}` : `session:${sessionId}`,
    user: sessionOwner(token),
  };
}

/** Streams open at once (0: no cap). */
export interface StreamLimits {
  perSession: number;
  perUser: number;
}

/** Why a stream was refused: its session's or its user's cap was reached. */
export type StreamRefusal = 'session' | 'user';

/** A place taken by a stream (from before its answer until it ends); released once. */
export interface StreamSlot {
  release(): void;
}

export interface OpenStream {
  kind: StreamKind;
  /** The salt-apid session the stream was opened with, if any. */
  sessionId: string | undefined;
  /** Names the client in logs (address and port, never a token). */
  client: string;
  close(reason: string): void;
}

/** Events a stream may fall behind by before it is cut off as a client that stopped reading. */
export const STREAM_QUEUE = 1_000;

export interface StreamStats {
  sse: number;
  ws: number;
  opened: number;
  droppedSlow: number;
}

const TOO_MANY: Readonly<Record<StreamRefusal, string>> = {
  session: 'Too many event streams are open for this session (max_streams_per_session); close one first.',
  user: 'Too many event streams are open for this user (max_streams_per_user); close one first.',
};

/** Adds `delta` to the count of `key`, forgetting it at zero. */
function bump(counts: Map<string, number>, key: string, delta: number): void {
  const count = (counts.get(key) ?? 0) + delta;
  if (count > 0) counts.set(key, count);
  else counts.delete(key);
}

export class StreamRegistry {
  private readonly open = new Set<OpenStream>();
  private opened = 0;
  private droppedSlow = 0;
  private onEmpty: (() => void) | undefined;
  private readonly bySession = new Map<string, number>();
  private readonly byUser = new Map<string, number>();
  private readonly refused: Record<StreamRefusal, number> = { session: 0, user: 0 };

  constructor(private readonly limits: StreamLimits = { perSession: 0, perUser: 0 }) {}

  /** Streams refused (429) since start, by the cap they met. */
  refusals(): Record<StreamRefusal, number> {
    return { ...this.refused };
  }

  /**
   * Takes a place for a stream of `owner`, or refuses it with 429 (salt-api's envelope, as the login
   * throttle answers) when the owner's session or user holds as many as allowed. No `Retry-After`:
   * a place comes free only when the client closes one of its own streams, not after any time.
   */
  take(owner: StreamOwner): StreamSlot {
    const { perSession, perUser } = this.limits;
    const refusal: StreamRefusal | undefined =
      perSession > 0 && (this.bySession.get(owner.session) ?? 0) >= perSession
        ? 'session'
        : perUser > 0 && (this.byUser.get(owner.user) ?? 0) >= perUser
          ? 'user'
          : undefined;
    if (refusal !== undefined) {
      this.refused[refusal]++;
      throw new HttpError(429, TOO_MANY[refusal], { shape: 'envelope' });
    }
    bump(this.bySession, owner.session, 1);
    bump(this.byUser, owner.user, 1);
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        bump(this.bySession, owner.session, -1);
        bump(this.byUser, owner.user, -1);
      },
    };
  }

  /** Registers a stream; the returned function unregisters it. */
  add(stream: OpenStream): () => void {
    this.open.add(stream);
    this.opened++;
    return () => {
      this.open.delete(stream);
      if (this.open.size === 0) this.onEmpty?.();
    };
  }

  /** Counts a client that was cut off for not reading. */
  noteSlowConsumer(): void {
    this.droppedSlow++;
  }

  /** The sessions that have streams open now. */
  sessionIds(): Set<string> {
    const ids = new Set<string>();
    for (const stream of this.open) if (stream.sessionId !== undefined) ids.add(stream.sessionId);
    return ids;
  }

  closeSession(sessionId: string, reason: string): void {
    for (const stream of [...this.open]) if (stream.sessionId === sessionId) stream.close(reason);
  }

  closeAll(reason: string): void {
    for (const stream of [...this.open]) stream.close(reason);
  }

  /** Closes every stream and resolves once all have ended (or after `timeoutMs`). */
  drain(reason: string, timeoutMs: number): Promise<void> {
    this.closeAll(reason);
    if (this.open.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.onEmpty = done;
    });
  }

  stats(): StreamStats {
    let sse = 0;
    let ws = 0;
    for (const stream of this.open) {
      if (stream.kind === 'sse') sse++;
      else ws++;
    }
    return { sse, ws, opened: this.opened, droppedSlow: this.droppedSlow };
  }
}

/** setTimeout's longest delay (about 24.8 days); a longer one would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Calls `end` at epoch ms `endAt` (a token's expiry), however far away that is; the returned
 * function cancels it. Timers do not keep the process alive.
 */
export function callAt(endAt: number, end: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    const wait = endAt - Date.now();
    if (wait <= 0) {
      timer = undefined;
      end();
      return;
    }
    timer = setTimeout(arm, Math.min(wait, MAX_TIMER_MS));
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}
