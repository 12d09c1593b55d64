import { describe, expect, it } from 'vitest';
import {
  CacheUnavailableError,
  Circuit,
  type CircuitDriver,
  type CircuitTimers,
} from '../../src/salt/cache/circuit.js';

/**
 * The circuit in front of the Redis session cache (src/salt/cache/circuit.ts), with a scripted
 * server and timers the test fires itself: what fails at once, what waits for a deadline and no
 * longer, and how it comes back. No test waits for real time.
 */

class ManualTimers implements CircuitTimers {
  private readonly pending = new Map<number, { ms: number; task: () => void }>();
  private next = 0;

  after(ms: number, task: () => void): () => void {
    const id = this.next++;
    this.pending.set(id, { ms, task });
    return () => this.pending.delete(id);
  }

  /** The delays of the timers still pending. */
  delays(): number[] {
    return [...this.pending.values()].map(({ ms }) => ms);
  }

  /** Fires the pending timers of `ms`. */
  fire(ms: number): void {
    for (const [id, timer] of [...this.pending]) {
      if (timer.ms !== ms) continue;
      this.pending.delete(id);
      timer.task();
    }
  }
}

const CONNECT_MS = 2_000;
const COMMAND_MS = 1_500;
const RETRY_MS = 1_000;

class ReplyError extends Error {}

interface Conn {
  id: number;
  lost: (reason: string) => void;
}

/** A server that refuses, stays silent or answers, as the test sets it. */
class ScriptedServer implements CircuitDriver<Conn> {
  mode: 'refuse' | 'silent' | 'up' = 'up';
  opened = 0;
  readonly dropped: number[] = [];

  async open(lost: (reason: string) => void) {
    const connection: Conn = { id: ++this.opened, lost };
    const ready =
      this.mode === 'refuse'
        ? Promise.reject(new Error('connect ECONNREFUSED'))
        : this.mode === 'silent'
          ? new Promise(() => undefined)
          : Promise.resolve();
    return { connection, ready };
  }

  drop(connection: Conn): void {
    this.dropped.push(connection.id);
  }

  ping(): Promise<unknown> {
    return this.mode === 'up' ? Promise.resolve('PONG') : new Promise(() => undefined);
  }

  answered(error: unknown): boolean {
    return error instanceof ReplyError;
  }
}

function setup(mode: ScriptedServer['mode'] = 'up') {
  const server = new ScriptedServer();
  server.mode = mode;
  const timers = new ManualTimers();
  const changes: Array<[boolean, string | undefined]> = [];
  let now = 0;
  const circuit = new Circuit(server, {
    connectMs: CONNECT_MS,
    commandMs: COMMAND_MS,
    retryMs: RETRY_MS,
    freshMs: 10_000,
    timers,
    now: () => now,
    onChange: (up, reason) => changes.push([up, reason]),
  });
  return {
    server,
    timers,
    changes,
    circuit,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** Lets every promise callback already due run (no timer fires). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe('the cache circuit', () => {
  it('fails at once while the server is known down, retries in the background, and closes when it answers', async () => {
    const { server, timers, changes, circuit } = setup('refuse');
    await expect(circuit.run(async () => 'value')).rejects.toThrow(CacheUnavailableError);
    expect(changes).toEqual([[false, 'connect ECONNREFUSED']]);
    // Known down: no new connection is tried for the next operations, and none waits for a timer.
    await expect(circuit.run(async () => 'value')).rejects.toThrow(CacheUnavailableError);
    await expect(circuit.run(async () => 'value')).rejects.toThrow('connect ECONNREFUSED');
    expect(server.opened).toBe(1);
    expect(circuit.status()).toEqual({ up: false, failures: 3 });
    expect(timers.delays()).toEqual([RETRY_MS]);

    timers.fire(RETRY_MS);
    await settle();
    expect(server.opened).toBe(2);
    expect(circuit.status().up).toBe(false);
    expect(timers.delays()).toEqual([RETRY_MS]);

    server.mode = 'up';
    timers.fire(RETRY_MS);
    await settle();
    expect(circuit.status().up).toBe(true);
    expect(changes).toEqual([
      [false, 'connect ECONNREFUSED'],
      [true, undefined],
    ]);
    await expect(circuit.run(async (connection) => `on ${connection.id}`)).resolves.toBe('on 3');
    expect(timers.delays()).toEqual([]);
  });

  it('gives a silent server connectMs to connect, and not a moment more', async () => {
    const { server, timers, circuit } = setup('silent');
    const first = circuit.run(async () => 'value');
    const outcome = first.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await settle();
    expect(timers.delays()).toEqual([CONNECT_MS]);
    timers.fire(CONNECT_MS);
    const error = await outcome;
    expect(error).toBeInstanceOf(CacheUnavailableError);
    expect((error as Error).message).toBe(`no connection within ${CONNECT_MS} ms`);
    expect(server.dropped).toEqual([1]);
    await expect(circuit.run(async () => 'value')).rejects.toThrow(CacheUnavailableError);
    expect(server.opened).toBe(1);
  });

  it('fails a command that gets no answer at commandMs, drops the connection and opens the circuit', async () => {
    const { server, timers, circuit } = setup('up');
    await expect(circuit.run(async () => 1)).resolves.toBe(1);
    const hung = circuit.run(() => new Promise<never>(() => undefined)).catch((error: unknown) => error);
    await settle();
    expect(timers.delays()).toEqual([COMMAND_MS]);
    timers.fire(COMMAND_MS);
    expect(await hung).toBeInstanceOf(CacheUnavailableError);
    expect(server.dropped).toEqual([1]);
    expect(circuit.status().up).toBe(false);
    await expect(circuit.run(async () => 1)).rejects.toThrow(`no answer within ${COMMAND_MS} ms`);
  });

  it('fails only the operation when the server answered with an error', async () => {
    const { server, circuit } = setup('up');
    await expect(
      circuit.run(async () => {
        throw new ReplyError('WRONGTYPE');
      }),
    ).rejects.toThrow(ReplyError);
    expect(circuit.status()).toEqual({ up: true, failures: 1 });
    await expect(circuit.run(async () => 2)).resolves.toBe(2);
    expect(server.opened).toBe(1);
  });

  it('opens as soon as the connection reports it is lost', async () => {
    const { server, circuit, changes } = setup('up');
    let connection: Conn | undefined;
    await circuit.run(async (c) => {
      connection = c;
    });
    connection?.lost('Socket closed unexpectedly');
    expect(circuit.status().up).toBe(false);
    expect(changes).toEqual([[false, 'Socket closed unexpectedly']]);
    expect(server.dropped).toEqual([1]);
    await expect(circuit.run(async () => 1)).rejects.toThrow('Socket closed unexpectedly');
  });

  it('answers a health check from what it knows, else with one shared ping', async () => {
    const { server, timers, circuit, advance } = setup('up');
    expect(await circuit.check()).toEqual({ up: true });
    expect(server.opened).toBe(1);
    advance(5_000);
    expect(await circuit.check()).toEqual({ up: true });
    advance(10_000);
    server.mode = 'silent';
    const [a, b] = [circuit.check(), circuit.check()];
    await settle();
    expect(timers.delays()).toEqual([COMMAND_MS]);
    timers.fire(COMMAND_MS);
    expect(await a).toEqual({ up: false, reason: `no answer within ${COMMAND_MS} ms` });
    expect(await b).toEqual({ up: false, reason: `no answer within ${COMMAND_MS} ms` });
    expect(await circuit.check()).toEqual({ up: false, reason: `no answer within ${COMMAND_MS} ms` });
  });

  it('stops retrying and refuses every operation once closed', async () => {
    const { server, timers, circuit } = setup('refuse');
    await expect(circuit.run(async () => 1)).rejects.toThrow(CacheUnavailableError);
    circuit.close();
    expect(timers.delays()).toEqual([]);
    server.mode = 'up';
    await expect(circuit.run(async () => 1)).rejects.toThrow('the cache connection is closed');
  });
});
