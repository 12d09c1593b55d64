/**
 * `/keys` (docs/routes.md "/keys"): the key lists and fingerprints through the `wheel` client,
 * unwrapped from the wheel envelope, and `POST /keys`, which generates and pre-accepts a key pair
 * and answers it as a tar archive.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isSaltMap, type SaltMap, type SaltValue } from '../../salt/codec/values.js';
import { HttpError } from '../transport/errors.js';
import { abortOnDisconnect, NOT_A_LIST, prepareChunks, runChunks, toLowstate } from '../lowstate.js';
import { attachmentDisposition, minionIdOf } from '../keys/minion-id.js';
import { tarArchive } from '../keys/tar.js';
import { LOWSTATE_METHODS, refuseDeeperPaths, rejectOtherMethods, sendAllow } from './methods.js';
import { lastValue, refuseUndeclaredQuery, type Query } from './query.js';
import { sessionScope } from './session-scope.js';
import { auditedRunner, auditsRuns } from '../audit/audited-runner.js';

/** `result['data']['return']` of a wheel reply, `{}` where a level is missing. */
function wheelReturn(result: SaltValue): SaltValue {
  const data = isSaltMap(result) ? result['data'] : undefined;
  return isSaltMap(data) && Object.hasOwn(data, 'return') ? data['return'] : {};
}

/** A key text from the wheel's `pub`/`priv`, empty when the key already existed. */
function keyText(keys: SaltValue, name: string): Buffer {
  const value = isSaltMap(keys) ? keys[name] : undefined;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return value instanceof Uint8Array ? Buffer.from(value) : Buffer.alloc(0);
}

/**
 * The `key.gen_accept` chunk: the posted keys, `mid` renamed to `id_`. The id is checked first, so
 * that a key is never generated for an id that could not be answered or stored.
 */
function genAcceptChunk(body: unknown): { chunk: SaltMap; id: string } {
  const [first] = toLowstate(body);
  if (!isSaltMap(first)) throw new HttpError(400, NOT_A_LIST);
  const { mid, ...rest } = first;
  const id = minionIdOf(mid);
  return { chunk: { ...rest, client: 'wheel', fun: 'key.gen_accept', id_: mid }, id };
}

/** `/keys` and `/keys/:mid`; `?mid=` names the key as the path does. */
interface KeysRoute {
  Querystring: Query;
  Params: { mid?: string };
}

export async function keysRoutes(app: FastifyInstance): Promise<void> {
  const { debug } = app.settings.rest;

  /** Not gated: the session's token if there is one; the dispatcher refuses a chunk without. */
  async function listKeys(request: FastifyRequest<KeysRoute>, reply: FastifyReply<KeysRoute>): Promise<FastifyReply> {
    refuseUndeclaredQuery(request.query, ['mid'], debug);
    const mid = request.params.mid ?? lastValue(request.query['mid']);
    const chunk: SaltMap = mid
      ? { client: 'wheel', fun: 'key.finger', match: mid }
      : { client: 'wheel', fun: 'key.list_all' };
    const token = request.saltSession?.session?.token;
    const chunks = prepareChunks([chunk], token === undefined ? {} : { token: token.token });
    const runner = auditedRunner(app, request, app.netapi, token);
    const [first] = await runChunks(runner, chunks, abortOnDisconnect(reply.raw));
    return reply.sendSalt({ return: wheelReturn(first) });
  }

  /** No session and no negotiation: the answer is the archive itself. */
  async function generateKeys(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const { chunk, id } = genAcceptChunk(request.body);
    const chunks = prepareChunks([chunk]);
    app.credentialGuard.admitChunks(request, chunks);
    const runner = auditedRunner(app, request, app.credentialGuard.watching(app.netapi, request));
    const [first] = await runChunks(runner, chunks, abortOnDisconnect(reply.raw));
    const keys = wheelReturn(first);
    const archive = tarArchive([
      { name: 'minion.pub', data: keyText(keys, 'pub') },
      { name: 'minion.pem', data: keyText(keys, 'priv') },
    ]);
    return reply
      .header('Content-Disposition', attachmentDisposition(`saltkeys-${id}.tar`))
      .header('Cache-Control', 'no-cache')
      .type('application/x-tar')
      .send(archive);
  }

  await sessionScope(app, (scope) => {
    sendAllow(scope, LOWSTATE_METHODS);
    scope.get<KeysRoute>('/keys', auditsRuns(app), listKeys);
    scope.get<KeysRoute>('/keys/:mid', auditsRuns(app), listKeys);
    refuseDeeperPaths(scope, '/keys/:mid/*', ['GET']);
    for (const url of ['/keys', '/keys/:mid', '/keys/:mid/*']) {
      rejectOtherMethods(scope, url, LOWSTATE_METHODS, { lengthRule: 'put-patch' });
    }
  });
  await app.register(async (scope) => {
    sendAllow(scope, LOWSTATE_METHODS);
    scope.post('/keys', auditsRuns(app), generateKeys);
    for (const url of ['/keys/:mid', '/keys/:mid/*']) refuseDeeperPaths(scope, url, ['POST']);
  });
}
