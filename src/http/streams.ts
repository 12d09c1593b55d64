/**
 * The event streams open right now (`/events`, `/ws`…): so that logging out ends the streams of
 * that session, shutting down closes them all, and `/stats` can count them.
 */
export type StreamKind = 'sse' | 'ws';

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

export class StreamRegistry {
  private readonly open = new Set<OpenStream>();
  private opened = 0;
  private droppedSlow = 0;
  private onEmpty: (() => void) | undefined;

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
