/**
 * Lowstate shaping (docs/routes.md "Lowstate") and sequential execution of the chunks: what
 * salt-api's `lowdata_fmt` tool and `exec_lowstate` do between the parsed body and the client
 * dispatcher.
 */
import { isSaltMap, type SaltMap, type SaltValue } from '../salt/codec/values.js';
import type { LowstateRunner } from '../salt/clients/netapi.js';
import { HttpError } from './transport/errors.js';
import { parseIntText } from '../python/numbers.js';

export const NOT_A_LIST = 'Lowstates must be a list';

/** A copy of `chunk` whose `arg`, when present and not a list, is wrapped in one. */
function withListArg(chunk: SaltMap): SaltMap {
  if (!Object.hasOwn(chunk, 'arg') || Array.isArray(chunk['arg'])) return { ...chunk };
  return { ...chunk, arg: [chunk['arg']] };
}

/**
 * The parsed body as a list of would-be chunks: a non-empty mapping becomes a one-element list
 * (its `arg` wrapped), a list stays as it is, anything else is 400 "Lowstates must be a list".
 */
export function toLowstate(data: unknown): unknown[] {
  if (isSaltMap(data) && Object.keys(data).length > 0) return [withListArg(data)];
  if (Array.isArray(data)) return data;
  throw new HttpError(400, NOT_A_LIST);
}

/** salt-api's check of a chunk's `token`: Python's `int(value, 16)` succeeds. */
export function isHexToken(value: SaltValue): boolean {
  return typeof value === 'string' && parseIntText(value, 16) !== undefined;
}

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number' || typeof value === 'bigint') return 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  return 'not a mapping';
}

export interface ChunkRules {
  /** Session routes: the session's Salt token, written over any `token` the chunk carries. */
  token?: string;
  /** Route-forced client (`local_async` on `POST /minions`). */
  client?: string;
}

/**
 * Every chunk checked and rewritten before any of them runs: a mapping, the session token
 * injected, a `token` that parses as hex (else 401 "Invalid token"), the forced client, `arg` a
 * list. salt-api checks each chunk only when its turn comes; checking first means a malformed
 * request has no side effects.
 */
export function prepareChunks(lowstate: readonly unknown[], rules: ChunkRules = {}): SaltMap[] {
  return lowstate.map((item, index) => {
    if (!isSaltMap(item)) {
      throw new HttpError(400, `Lowstate chunk ${index + 1} must be a mapping, but it is ${kindOf(item)}`, {
        shape: 'envelope',
      });
    }
    let chunk: SaltMap = { ...item };
    if (rules.token !== undefined) chunk['token'] = rules.token;
    if (Object.hasOwn(chunk, 'token') && !isHexToken(chunk['token'])) throw new HttpError(401, 'Invalid token');
    if (rules.client !== undefined) chunk['client'] = rules.client;
    chunk = withListArg(chunk);
    return chunk;
  });
}

/** Aborted when the HTTP client goes away before the answer is written. */
export function abortOnDisconnect(response: {
  writableFinished: boolean;
  once(event: 'close', listener: () => void): unknown;
}): AbortSignal {
  const controller = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller.signal;
}

/**
 * Runs the chunks one after the other; their results are concatenated in order. The first
 * failure aborts the request and discards the results gathered so far.
 */
export async function runChunks(
  runner: LowstateRunner,
  chunks: readonly SaltMap[],
  signal?: AbortSignal,
): Promise<SaltValue[]> {
  const results: SaltValue[] = [];
  for (const chunk of chunks) {
    const values = await runner.run(chunk, signal === undefined ? {} : { signal });
    results.push(...values);
  }
  return results;
}
