/**
 * `/minions` (docs/routes.md "/minions"): grains of the targeted minions, and jobs started without
 * waiting (`local_async`), answered 202 with links to the job.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isSaltMap, type SaltValue } from '../../salt/codec/values.js';
import { gatedSession } from '../auth/auth.js';
import { abortOnDisconnect, prepareChunks, runChunks, toLowstate } from '../lowstate.js';
import { LOWSTATE_METHODS, refuseDeeperPaths, rejectOtherMethods, sendAllow } from './methods.js';
import { lastValue, refuseUndeclaredQuery, type Query } from './query.js';
import { sessionScope } from './session-scope.js';
import { auditedRunner, auditsRuns } from '../audit/audited-runner.js';

/** `_links.jobs`: one link per non-empty result (the href ignores `root_prefix`, as in salt-api). */
function jobLinks(results: readonly SaltValue[]): Array<{ href: string }> {
  const links: Array<{ href: string }> = [];
  for (const result of results) {
    if (isSaltMap(result) && typeof result['jid'] === 'string') links.push({ href: `/jobs/${result['jid']}` });
  }
  return links;
}

/** `/minions` and `/minions/:mid`; `?mid=` targets as the path does. */
interface MinionsRoute {
  Querystring: Query;
  Params: { mid?: string };
}

export async function minionsRoutes(app: FastifyInstance): Promise<void> {
  const { debug } = app.settings.rest;

  async function grains(
    request: FastifyRequest<MinionsRoute>,
    reply: FastifyReply<MinionsRoute>,
  ): Promise<FastifyReply> {
    refuseUndeclaredQuery(request.query, ['mid'], debug);
    const session = gatedSession(request);
    const mid = request.params.mid ?? lastValue(request.query['mid']);
    const chunks = prepareChunks([{ client: 'local', tgt: mid || '*', fun: 'grains.items' }], {
      token: session.token.token,
    });
    const runner = auditedRunner(app, request, app.netapi, session.token);
    return reply.sendSalt({ return: await runChunks(runner, chunks, abortOnDisconnect(reply.raw)) });
  }

  async function startJobs(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const session = gatedSession(request);
    const chunks = prepareChunks(toLowstate(request.body), { token: session.token.token, client: 'local_async' });
    app.credentialGuard.admitChunks(request, chunks);
    const runner = auditedRunner(app, request, app.netapi, session.token);
    const results = await runChunks(runner, chunks, abortOnDisconnect(reply.raw));
    return reply.code(202).sendSalt({ return: results, _links: { jobs: jobLinks(results) } });
  }

  await sessionScope(app, (scope) => {
    sendAllow(scope, LOWSTATE_METHODS);
    const gated = { onRequest: app.authGate, ...auditsRuns(app) };
    scope.get<MinionsRoute>('/minions', gated, grains);
    scope.get<MinionsRoute>('/minions/:mid', gated, grains);
    scope.post('/minions', gated, startJobs);
    // Deeper paths exist for no one, but salt-api asks for credentials before it says so.
    refuseDeeperPaths(scope, '/minions/:mid', ['POST'], app.authGate);
    refuseDeeperPaths(scope, '/minions/:mid/*', ['GET', 'POST'], app.authGate);
    for (const url of ['/minions', '/minions/:mid', '/minions/:mid/*']) {
      rejectOtherMethods(scope, url, LOWSTATE_METHODS, { gate: app.authGate, lengthRule: 'put-patch' });
    }
  });
}
