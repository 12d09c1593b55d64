import { isSaltMap, type SaltMap, type SaltValue } from './codec/values.js';
import { BadReplyError, MasterErrorReply } from './errors.js';
import type { RequestChannel, RequestOptions } from './request-channel.js';

/**
 * The master's clear commands as salt-api uses them (PROTOCOL.md §1.5), with their replies
 * turned into typed results or typed errors. Loads keep the key order Salt's own clients write.
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
  | { jid: string; minions: string[]; missing: string[] }
  | { jid: null; minions: string[]; error: string };

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

function isTokenRecord(value: SaltValue): value is TokenRecord {
  return isSaltMap(value) && typeof value['token'] === 'string' && typeof value['expire'] === 'number';
}

export class ClearCommands {
  constructor(private readonly channel: RequestChannel) {}

  ping(load: SaltMap = {}, options?: RequestOptions): Promise<SaltValue> {
    return this.channel.request({ cmd: 'ping', ...load }, options);
  }

  /** `mk_token`: the credentials as posted, then `cmd` (salt-api's Resolver order). Null on refusal. */
  async mkToken(credentials: SaltMap, options?: RequestOptions): Promise<TokenRecord | null> {
    const load: SaltMap = { ...credentials, cmd: 'mk_token' };
    const reply = await this.channel.request(load, options);
    if (reply === '' || reply === null) return null;
    if (isTokenRecord(reply)) return reply;
    throwIfErrorReply(reply);
    throw new BadReplyError('mk_token', reply);
  }

  /** `get_token`: the record, or null when unknown, malformed or expired. */
  async getToken(token: string, options?: RequestOptions): Promise<TokenRecord | null> {
    const reply = await this.channel.request({ token, cmd: 'get_token' }, options);
    if (isTokenRecord(reply)) return reply;
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
    const reply = await this.channel.request({ ...load, cmd: 'runner' }, options);
    throwIfErrorReply(reply);
    if (isSaltMap(reply) && typeof reply['tag'] === 'string' && typeof reply['jid'] === 'string') {
      return { tag: reply['tag'], jid: reply['jid'] };
    }
    throw new BadReplyError('runner', reply);
  }

  /** `wheel`: runs inside the request; the reply `{tag, data}` is final. */
  async wheel(load: SaltMap, options?: RequestOptions): Promise<WheelReply> {
    const reply = await this.channel.request({ ...load, cmd: 'wheel' }, options);
    throwIfErrorReply(reply);
    if (isSaltMap(reply) && typeof reply['tag'] === 'string' && isSaltMap(reply['data'])) {
      return { tag: reply['tag'], data: reply['data'] };
    }
    throw new BadReplyError('wheel', reply);
  }
}
