import { Float64, isSaltMap, type SaltMap, type SaltValue } from './codec/values.js';
import { BadReplyError, MasterErrorReply } from './errors.js';
import type { RequestChannel, RequestOptions } from './request-channel.js';
import { couldBeSaltToken } from './token-shape.js';

/**
 * The master's clear commands as salt-api uses them (docs/wire-protocol.md
 * "Commands salt-apid sends"), with their replies turned into typed results or typed errors. Loads
 * keep the key order Salt's own clients write.
 */

export interface TokenRecord {
  token: string;
  name: string;
  eauth: string;
  start: number;
  expire: number;
  groups?: string[];
  /** Backends such as `rest` add fields (auth_list…); they are kept. */
  [key: string]: SaltValue;
}

export interface PublishLoad {
  tgt: string | string[];
  fun: string | string[];
  arg: SaltValue[];
  tgt_type: string;
  ret: string;
  jid: string;
  /** Auth (`token`, or `username`/`password`/`eauth`) plus the chunk's extra keys. */
  kwargs: SaltMap;
  user: string;
}

export type PublishResult =
  { jid: string; minions: string[]; missing: string[] } | { jid: null; minions: string[]; error: string };

export interface JobTag {
  tag: string;
  jid: string;
}

export interface WheelReply {
  tag: string;
  data: SaltMap;
}

function strings(value: SaltValue): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Top-level `{error: {name, message}}` replies become MasterErrorReply. */
function throwIfErrorReply(reply: SaltValue): void {
  if (!isSaltMap(reply) || !isSaltMap(reply['error'])) return;
  const error = reply['error'];
  const name = typeof error['name'] === 'string' ? error['name'] : 'SaltError';
  const message = typeof error['message'] === 'string' ? error['message'] : JSON.stringify(error);
  throw new MasterErrorReply(name, message);
}

/** The reply as a token record (its times as plain numbers, even when a float was integral), or null. */
function tokenRecord(value: SaltValue): TokenRecord | null {
  if (!isSaltMap(value) || typeof value['token'] !== 'string') return null;
  const expire = numberOf(value['expire']);
  if (expire === undefined) return null;
  const record = { ...value, expire } as TokenRecord;
  const start = numberOf(value['start']);
  if (start !== undefined) record.start = start;
  return record;
}

function numberOf(value: SaltValue): number | undefined {
  if (typeof value === 'number') return value;
  return value instanceof Float64 ? value.value : undefined;
}

export interface ClearCommandsOptions {
  /** Hex digits of the master's tokens (`hash_type`, see token-shape.ts); undefined: any hex. */
  tokenLength?: number | undefined;
}

/** The master's answers to a `publish`, `runner` or `wheel` whose token it does not know. */
const PUBLISH_TOKEN_REFUSED = { name: 'AuthenticationError', message: 'Authentication error occurred.' };
const TOKEN_REFUSED = { name: 'TokenAuthenticationError', message: 'Authentication failure of type "token" occurred.' };

/**
 * The master's clear commands. A load carrying a token that cannot be one of the master's (see
 * token-shape.ts) is answered here as the master answers an unknown token, without asking it.
 */
export class ClearCommands {
  private readonly tokenLength: number | undefined;

  constructor(
    private readonly channel: RequestChannel,
    options: ClearCommandsOptions = {},
  ) {
    this.tokenLength = options.tokenLength;
  }

  /** Throws the master's refusal when `load` names a token that cannot exist. */
  private refuseImpossibleToken(load: SaltMap, refusal: { name: string; message: string }): void {
    if (Object.hasOwn(load, 'token') && !couldBeSaltToken(load['token'], this.tokenLength)) {
      throw new MasterErrorReply(refusal.name, refusal.message);
    }
  }

  ping(load: SaltMap = {}, options?: RequestOptions): Promise<SaltValue> {
    return this.channel.request({ cmd: 'ping', ...load }, options);
  }

  /** `mk_token`: the credentials as posted, then `cmd` (salt-api's Resolver order). Null on refusal. */
  async mkToken(credentials: SaltMap, options?: RequestOptions): Promise<TokenRecord | null> {
    const load: SaltMap = { ...credentials, cmd: 'mk_token' };
    const reply = await this.channel.request(load, options);
    const record = tokenRecord(reply);
    if (record !== null) return record;
    throwIfErrorReply(reply);
    // salt-api refuses whatever has no token in it: "", {}, or the master's exception text
    // (a PAM login without a password is a KeyError on the master).
    return null;
  }

  /** `get_token`: the record, or null when unknown, malformed or expired. */
  async getToken(token: string, options?: RequestOptions): Promise<TokenRecord | null> {
    if (!couldBeSaltToken(token, this.tokenLength)) return null;
    const reply = await this.channel.request({ token, cmd: 'get_token' }, options);
    const record = tokenRecord(reply);
    if (record !== null) return record;
    if (reply === false || (isSaltMap(reply) && Object.keys(reply).length === 0)) return null;
    throwIfErrorReply(reply);
    throw new BadReplyError('get_token', reply);
  }

  async publish(load: PublishLoad, options?: RequestOptions): Promise<PublishResult> {
    const request: SaltMap = {
      cmd: 'publish',
      tgt: load.tgt,
      fun: load.fun,
      arg: load.arg,
      key: '',
      tgt_type: load.tgt_type,
      ret: load.ret,
      jid: load.jid,
      kwargs: load.kwargs,
      user: load.user,
    };
    this.refuseImpossibleToken(load.kwargs, PUBLISH_TOKEN_REFUSED);
    const reply = await this.channel.request(request, options);
    throwIfErrorReply(reply);
    if (!isSaltMap(reply) || !isSaltMap(reply['load'])) throw new BadReplyError('publish', reply);
    const body = reply['load'];
    const jid = body['jid'];
    if (typeof jid === 'string' && jid !== '') {
      return { jid, minions: strings(body['minions'] ?? []), missing: strings(body['missing'] ?? []) };
    }
    const error = typeof body['error'] === 'string' ? body['error'] : 'Master could not resolve minions for target';
    return { jid: null, minions: strings(body['minions'] ?? []), error };
  }

  /** `runner`: the load as RunnerClient builds it; the master answers `{tag, jid}` at once. */
  async runner(load: SaltMap, options?: RequestOptions): Promise<JobTag> {
    this.refuseImpossibleToken(load, TOKEN_REFUSED);
    const reply = await this.channel.request({ ...load, cmd: 'runner' }, options);
    throwIfErrorReply(reply);
    if (isSaltMap(reply) && typeof reply['tag'] === 'string' && typeof reply['jid'] === 'string') {
      return { tag: reply['tag'], jid: reply['jid'] };
    }
    throw new BadReplyError('runner', reply);
  }

  /** `wheel`: runs inside the request; the reply `{tag, data}` is final. */
  async wheel(load: SaltMap, options?: RequestOptions): Promise<WheelReply> {
    this.refuseImpossibleToken(load, TOKEN_REFUSED);
    const reply = await this.channel.request({ ...load, cmd: 'wheel' }, options);
    throwIfErrorReply(reply);
    if (isSaltMap(reply) && typeof reply['tag'] === 'string' && isSaltMap(reply['data'])) {
      return { tag: reply['tag'], data: reply['data'] };
    }
    throw new BadReplyError('wheel', reply);
  }
}
