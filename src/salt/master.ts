import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { MasterSettings } from '../config/types.js';
import { ClearCommands } from './clear-commands.js';
import { saltTokenLength } from './token-shape.js';
import { EventBus, type BusAddress, type EventBusStats } from './event-bus.js';
import type { EventFraming } from './event-frame.js';
import { eventIdentifier } from './event-id.js';
import { describeAddress } from './event-pull.js';
import { RequestChannel, type RequestObserver, type RequestChannelStats } from './request-channel.js';

/**
 * Everything salt-apid holds open towards one master: the request channel, the shared event
 * bus connection, and the clear commands built on them. The HTTP layer receives this object
 * and never touches a socket itself.
 */
export interface SaltMasterOptions {
  requestEndpoint: string;
  pub: BusAddress;
  pull: BusAddress;
  pullFraming: EventFraming | 'auto';
  logger?: Logger;
  requestTimeoutMs?: number;
  maxRequestSockets?: number;
  /** Hex digits of the master's Salt tokens (from `hash_type`); undefined: any hex. */
  tokenLength?: number | undefined;
  /** Name every bus event (`SaltEvent.id`, event-id.ts) after this identity of the master. */
  eventIdentity?: string | Uint8Array | undefined;
}

/**
 * What identifies the master in event ids: its public key (`<pki_dir>/master.pub`, readable by any
 * user on a stock master), else the address of its publisher. Every salt-apid on the master's host
 * finds the same.
 */
export function masterIdentity(settings: MasterSettings): string | Uint8Array {
  try {
    return readFileSync(join(settings.pkiDir, 'master.pub'));
  } catch {
    return describeAddress(masterAddresses(settings).pub);
  }
}

/**
 * Minion returns at least this large (msgpack bytes) are held packed by the jobs waiting for them
 * and decoded as the answer is written (grains are 4–10 KB a minion; a ping is a few bytes).
 */
export const DEFERRED_RETURN_BYTES = 2_048;

export interface SaltMasterStats {
  request: RequestChannelStats;
  bus: EventBusStats;
}

/**
 * Where a master with these settings listens (docs/wire-protocol.md "Sockets and frames" for the
 * request channel, "Sockets" under "Event bus" for the bus).
 */
export function masterAddresses(settings: MasterSettings): Pick<SaltMasterOptions, 'requestEndpoint' | 'pub' | 'pull'> {
  const host = settings.interface.includes(':') ? `[${settings.interface}]` : settings.interface;
  const requestEndpoint = `tcp://${host}:${settings.retPort}`;
  if (settings.ipcMode === 'tcp') {
    return {
      requestEndpoint,
      pub: { host: '127.0.0.1', port: settings.tcpMasterPubPort },
      pull: { host: '127.0.0.1', port: settings.tcpMasterPullPort },
    };
  }
  return {
    requestEndpoint,
    pub: { path: join(settings.sockDir, 'master_event_pub.ipc') },
    pull: { path: join(settings.sockDir, 'master_event_pull.ipc') },
  };
}

/** What health checks and metrics read of the master connection. */
export interface MasterHealth {
  busConnected(): boolean;
  busStats(): EventBusStats;
  /** When the master last answered a request (performance.now() scale). */
  lastReplyAt(): number | undefined;
  /** One cheap round trip (`ping`, which the master answers without authentication). */
  ping(timeoutMs: number): Promise<unknown>;
  observeRequests(observer: RequestObserver): void;
}

export class SaltMaster {
  readonly channel: RequestChannel;
  readonly bus: EventBus;
  readonly commands: ClearCommands;
  /** The publisher's address, and what names its events (if they are named): a second reader needs both. */
  readonly pub: BusAddress;
  readonly eventIdentity: string | Uint8Array | undefined;

  constructor(options: SaltMasterOptions) {
    this.pub = options.pub;
    this.eventIdentity = options.eventIdentity;
    this.channel = new RequestChannel({
      endpoint: options.requestEndpoint,
      ...(options.requestTimeoutMs !== undefined && { timeoutMs: options.requestTimeoutMs }),
      ...(options.maxRequestSockets !== undefined && { maxSockets: options.maxRequestSockets }),
      ...(options.logger && { logger: options.logger }),
    });
    this.bus = new EventBus({
      pub: options.pub,
      pull: options.pull,
      pullFraming: options.pullFraming,
      ...(options.logger && { logger: options.logger }),
      ...(options.eventIdentity !== undefined && { identify: eventIdentifier(options.eventIdentity) }),
      deferReturnsOver: DEFERRED_RETURN_BYTES,
    });
    this.commands = new ClearCommands(this.channel, { tokenLength: options.tokenLength });
  }

  /** `nameEvents`: every bus event gets its id (`events_ids`). */
  static fromSettings(settings: MasterSettings, logger?: Logger, { nameEvents = false } = {}): SaltMaster {
    return new SaltMaster({
      ...masterAddresses(settings),
      ...(nameEvents && { eventIdentity: masterIdentity(settings) }),
      pullFraming: settings.eventPullFraming,
      tokenLength: saltTokenLength(settings.hashType),
      ...(logger && { logger }),
    });
  }

  start(): this {
    this.bus.start();
    return this;
  }

  /** salt-api's "is the master running" test: here, a live connection to its event bus. */
  get available(): boolean {
    return this.bus.state === 'connected';
  }

  readonly health: MasterHealth = {
    busConnected: () => this.bus.state === 'connected',
    busStats: () => this.bus.stats(),
    lastReplyAt: () => this.channel.lastReplyAt,
    ping: (timeoutMs) => this.commands.ping({}, { timeoutMs }),
    observeRequests: (observer) => this.channel.observe(observer),
  };

  stats(): SaltMasterStats {
    return { request: this.channel.stats(), bus: this.bus.stats() };
  }

  close(): void {
    this.bus.close();
    this.channel.close();
  }
}
