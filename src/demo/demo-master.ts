import { setMaxListeners } from 'node:events';
import { mkdir, mkdtemp, rmdir } from 'node:fs/promises';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { SaltValue } from '../salt/codec/values.js';
import { encodeEventBody } from '../salt/event-frame.js';
import { clearFuncs } from './clear-funcs.js';
import { isoStamp } from './clock.js';
import { EventServer, type BusAddress } from './event-server.js';
import { PresenceSockets } from './presence-sockets.js';
import { createMasterContext, newDemoState, type MasterContext } from './master-context.js';
import type { DemoMasterOptions, DemoState } from './options.js';
import { RequestServer } from './request-server.js';

export type { DemoMasterOptions, DemoState } from './options.js';
export type { BusAddress } from './event-server.js';

/**
 * Salt's `ipc_write_buffer`: half of 5% of the machine's memory, and at least half of 10 MiB
 * (`_gather_buffer_space` in salt/config): a master publishes a 10,000-minion answer's returns
 * faster than any reader takes them, and cuts off only a reader this far behind.
 */
const DEFAULT_MAX_PENDING_BYTES = Math.floor(Math.max(totalmem() * 0.05, 10 * 1024 * 1024) * 0.5);

function tcpPort(address: BusAddress): number | undefined {
  return typeof address === 'string' ? undefined : address.port;
}

/**
 * A simulated Salt master speaking the real wire protocol: the request channel on a ZeroMQ
 * ROUTER, the event bus on unix (or TCP) sockets, eauth with tokens and ACLs, simulated minions,
 * runners, wheel functions and a job cache. `salt-apid --demo` runs it in-process and every
 * test uses it as the master.
 */
export class DemoMaster {
  private stopped: Promise<void> | undefined;

  private constructor(
    /** The options that bring up the same master again on the same addresses, state included. */
    readonly options: DemoMasterOptions,
    readonly state: DemoState,
    private readonly ctx: MasterContext,
    private readonly requests: RequestServer,
    private readonly events: EventServer,
    private readonly abort: AbortController,
    private readonly ownsSockDir: boolean,
    private readonly presence: PresenceSockets | undefined,
  ) {}

  static async start(options: DemoMasterOptions = {}): Promise<DemoMaster> {
    const ownsSockDir = options.sockDir === undefined;
    const sockDir = options.sockDir ?? (await mkdtemp(join(tmpdir(), 'salt-demo-')));
    await mkdir(sockDir, { recursive: true });
    const tcp = options.ipcMode === 'tcp';
    const events = await EventServer.start({
      pubAddress: tcp ? { host: '127.0.0.1', port: options.pubPort ?? 0 } : join(sockDir, 'master_event_pub.ipc'),
      pullAddress: tcp ? { host: '127.0.0.1', port: options.pullPort ?? 0 } : join(sockDir, 'master_event_pull.ipc'),
      pubFraming: options.pubFraming ?? 'bare',
      pullFraming: options.pullFraming ?? 'len32',
      maxPendingBytes: options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES,
      logger: options.logger,
    });
    const abort = new AbortController();
    // Every simulated return in flight waits on this signal (and lets go when done): thousands
    // at once under load is normal, not a leak.
    setMaxListeners(0, abort.signal);
    const state = options.state ?? newDemoState(options);
    // Salt's senders stamp the data they fire; bodies pushed into the puller are not touched.
    const fire = (tag: string, data: Record<string, SaltValue>): void =>
      events.publishBody(encodeEventBody(tag, Object.hasOwn(data, '_stamp') ? data : { ...data, _stamp: isoStamp() }));
    const ctx = createMasterContext({ ...options, sockDir }, state, fire, abort.signal);
    const iface = options.interface ?? '127.0.0.1';
    let requests: RequestServer;
    let presence: PresenceSockets | undefined;
    try {
      presence = tcp ? undefined : await PresenceSockets.open(sockDir);
      requests = await RequestServer.start({
        endpoint: `tcp://${iface}:${options.retPort ?? 0}`,
        commands: clearFuncs(ctx),
        logger: options.logger,
      });
    } catch (err) {
      abort.abort();
      await events.stop();
      await presence?.close();
      throw err;
    }
    const retPort = Number(new URL(requests.endpoint).port);
    ctx.config = { ...ctx.config, ret_port: retPort };
    const resolved: DemoMasterOptions = {
      ...options,
      sockDir,
      retPort,
      pubPort: tcpPort(events.pubAddress),
      pullPort: tcpPort(events.pullAddress),
      state,
    };
    return new DemoMaster(resolved, state, ctx, requests, events, abort, ownsSockDir, presence);
  }

  /** Where to send requests, e.g. `tcp://127.0.0.1:45123`. */
  get retEndpoint(): string {
    return this.requests.endpoint;
  }

  get retPort(): number {
    return this.options.retPort ?? 0;
  }

  get sockDir(): string {
    return this.options.sockDir ?? '';
  }

  /** The publisher: a unix socket path, or host and port in tcp mode. */
  get pubAddress(): BusAddress {
    return this.events.pubAddress;
  }

  /** The puller: a unix socket path, or host and port in tcp mode. */
  get pullAddress(): BusAddress {
    return this.events.pullAddress;
  }

  /** Event frames the puller failed on, each an exception in a real master's log. */
  get pullErrors(): number {
    return this.events.pullErrors;
  }

  /** Minions that answer jobs: accepted keys whose simulated minion runs. */
  get minionIds(): string[] {
    return this.state.keys.idsWith('minions').filter((id) => this.ctx.fleet.isRunning(id));
  }

  /** The minion stops answering jobs, as when its host goes down; its key stays accepted. */
  stopMinion(id: string): void {
    this.ctx.fleet.stop(id);
  }

  /** Requests the master has answered: those with this `cmd`, or all of them. */
  requestCount(cmd?: string): number {
    if (cmd !== undefined) return this.requests.handled.get(cmd) ?? 0;
    let total = 0;
    for (const count of this.requests.handled.values()) total += count;
    return total;
  }

  /** Fires an event from the master side (`_stamp` added, as Salt's senders do). */
  fireEvent(tag: string, data: Record<string, SaltValue>): void {
    this.ctx.fire(tag, data);
  }

  /** Fault: the event bus goes away (every reader and sender cut off) while requests are still answered. */
  dropBus(): Promise<void> {
    return this.events.drop();
  }

  /** The event bus back at the same addresses after {@link dropBus}. */
  resumeBus(): Promise<void> {
    return this.events.resume();
  }

  /** Closes every socket and drops pending minion returns; safe to call twice. */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    this.abort.abort();
    await this.requests.stop();
    await this.events.stop();
    await this.presence?.close();
    if (this.ownsSockDir) await rmdir(this.sockDir).catch(() => undefined);
  }
}
