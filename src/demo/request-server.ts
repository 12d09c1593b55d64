import type { Logger } from 'pino';
import { Router } from 'zeromq';
import { pack } from '../salt/codec/pack.js';
import { unpack } from '../salt/codec/unpack.js';
import { isSaltMap, type SaltMap, type SaltValue } from '../salt/codec/values.js';
import { safeText } from '../dict.js';
import { errorCode } from '../error-fields.js';

/**
 * The request channel (ret_port): a ROUTER that behaves like 3008's pooled worker router.
 * Every message must be `[identity, "", payload]`; the payload frame is taken from position 2,
 * so a message without the delimiter is dropped and one with an extra frame is answered
 * `{error: "Routing error"}`. Requests are handled concurrently and answered in completion order.
 */

export type ClearCommand = (load: SaltMap) => Promise<SaltValue>;

const ROUTING_ERROR: SaltMap = { error: 'Routing error' };
const EXCEPTION_REPLY = 'Some exception handling minion payload';

/**
 * The guard replies (docs/wire-protocol.md "Guard replies"): either a final reply or the load to
 * dispatch.
 */
function screenPayload(payload: Buffer): { reply: SaltValue } | { load: SaltMap } {
  let envelope: SaltValue;
  try {
    envelope = unpack(payload);
  } catch {
    return { reply: ROUTING_ERROR };
  }
  if (!isSaltMap(envelope) || !Object.hasOwn(envelope, 'enc') || !Object.hasOwn(envelope, 'load'))
    return { reply: 'bad load' };
  const version = envelope['version'];
  if (typeof version !== 'number' || version < 3) return { reply: 'bad load' };
  const load = envelope['load'];
  if (!isSaltMap(load)) return { reply: 'payload and load must be a dict' };
  const id = Object.hasOwn(load, 'id') ? load['id'] : '';
  if (typeof id !== 'string') return { reply: `bad load: id ${safeText(id)} is not a string` };
  if (id.includes('\0')) return { reply: 'bad load: id contains a null byte' };
  return { load };
}

export interface RequestServerOptions {
  endpoint: string;
  commands: ReadonlyMap<string, ClearCommand>;
  logger: Logger | undefined;
}

const BIND_RETRY_MS = 50;
const BIND_ATTEMPTS = 60;

export class RequestServer {
  private sending: Promise<void> = Promise.resolve();
  /** Requests answered so far, by `cmd` (tests count the master round trips an API call costs). */
  readonly handled = new Map<string, number>();
  private readonly receiving: Promise<void>;

  private constructor(
    private readonly router: Router,
    private readonly options: RequestServerOptions,
    readonly endpoint: string,
  ) {
    this.receiving = this.receiveLoop();
  }

  static async start(options: RequestServerOptions): Promise<RequestServer> {
    const router = new Router({ linger: 0 });
    for (let attempt = 1; ; attempt++) {
      try {
        await router.bind(options.endpoint);
        break;
      } catch (err) {
        // A master restarted on the same port may find it still held for a moment.
        if (attempt >= BIND_ATTEMPTS || errorCode(err) !== 'EADDRINUSE') {
          router.close();
          throw err;
        }
        await new Promise((resolve) => setTimeout(resolve, BIND_RETRY_MS));
      }
    }
    const endpoint = (router.lastEndpoint ?? options.endpoint).replace('//0.0.0.0:', '//127.0.0.1:');
    return new RequestServer(router, options, endpoint);
  }

  async stop(): Promise<void> {
    this.router.close();
    await this.receiving;
  }

  private async receiveLoop(): Promise<void> {
    try {
      for await (const frames of this.router) {
        const [identity, , payload] = frames;
        if (identity === undefined || payload === undefined) continue;
        void this.answer(identity, payload);
      }
    } catch (err) {
      if (!this.router.closed) this.options.logger?.error({ err }, 'demo master: request socket failed');
    }
  }

  private async answer(identity: Buffer, payload: Buffer): Promise<void> {
    const frames = [identity, Buffer.alloc(0), this.encode(await this.handle(payload))];
    // zeromq.js allows one send in flight per socket; replies queue behind each other.
    this.sending = this.sending.then(async () => {
      if (this.router.closed) return;
      await this.router.send(frames).catch((err: unknown) => {
        if (!this.router.closed) this.options.logger?.warn({ err }, 'demo master: reply not sent');
      });
    });
  }

  private encode(reply: SaltValue): Buffer {
    try {
      return pack(reply, { useBinType: false });
    } catch (err) {
      this.options.logger?.warn({ err }, 'demo master: reply not encodable');
      return pack(EXCEPTION_REPLY, { useBinType: false });
    }
  }

  private async handle(payload: Buffer): Promise<SaltValue> {
    const screened = screenPayload(payload);
    if ('reply' in screened) return screened.reply;
    const cmd = screened.load['cmd'];
    const name = typeof cmd === 'string' ? cmd : '';
    this.handled.set(name, (this.handled.get(name) ?? 0) + 1);
    const command = typeof cmd === 'string' ? this.options.commands.get(cmd) : undefined;
    if (command === undefined) return {};
    try {
      return await command(screened.load);
    } catch (err) {
      if (!this.router.closed) this.options.logger?.warn({ err, cmd }, 'demo master: command raised');
      return EXCEPTION_REPLY;
    }
  }
}
