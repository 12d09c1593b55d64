/**
 * `/jobs` (docs/routes.md "/jobs"): the job cache through the `runner` client — `jobs.list_jobs`,
 * or `jobs.list_job` split into the job record (`info`) and each minion's return value (`return`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isSaltMap, type SaltMap, type SaltValue } from '../../salt/codec/values.js';
import { gatedSession } from '../auth/auth.js';
import { abortOnDisconnect, prepareChunks, runChunks } from '../lowstate.js';
import { LOWSTATE_METHODS, refuseDeeperPaths, rejectOtherMethods, sendAllow } from './methods.js';
import { lastValue, refuseUndeclaredQuery, type Query } from './query.js';
import { sessionScope } from './session-scope.js';
import { runWithSession } from './root.js';
import { dictFrom, emptyDict, orderedKeys } from '../../dict.js';
import { auditedRunner, auditsRuns } from '../audit/audited-runner.js';

/** Each minion's `return` out of the job record's `Result`. */
function minionReturns(job: SaltValue): SaltMap {
  const result = isSaltMap(job) ? job['Result'] : undefined;
  if (!isSaltMap(result)) return emptyDict<SaltValue>();
  // The minions in the record's order; each return is the record's own object (YAML writes it
  // once, with an anchor, as salt-api's PyYAML does).
  return dictFrom(
    orderedKeys(result).map((minion) => {
      const entry = result[minion];
      return [minion, isSaltMap(entry) ? entry['return'] : undefined] as const;
    }),
  );
}

/** `/jobs`, `/jobs/:jid`, `/jobs/:jid/:timeout` (the timeout is accepted and not used, as in salt-api). */
interface JobsRoute {
  Querystring: Query;
  Params: { jid?: string; timeout?: string };
}

export async function jobsRoutes(app: FastifyInstance): Promise<void> {
  const { debug } = app.settings.rest;

  async function jobs(request: FastifyRequest<JobsRoute>, reply: FastifyReply<JobsRoute>): Promise<FastifyReply> {
    refuseUndeclaredQuery(request.query, ['jid', 'timeout'], debug);
    const session = gatedSession(request);
    const jid = request.params.jid ?? lastValue(request.query['jid']);
    const chunk: SaltMap = jid
      ? { client: 'runner', fun: 'jobs.list_job', jid }
      : { client: 'runner', fun: 'jobs.list_jobs' };
    const chunks = prepareChunks([chunk], { token: session.token.token });
    const runner = auditedRunner(app, request, app.netapi, session.token);
    const [first = {}] = await runChunks(runner, chunks, abortOnDisconnect(reply.raw));
    if (!jid) return reply.sendSalt({ return: [first] });
    return reply.sendSalt({ info: [first], return: [minionReturns(first)] });
  }

  await sessionScope(app, (scope) => {
    sendAllow(scope, LOWSTATE_METHODS);
    const gated = { onRequest: app.authGate, ...auditsRuns(app) };
    scope.get<JobsRoute>('/jobs', gated, jobs);
    scope.get<JobsRoute>('/jobs/:jid', gated, jobs);
    scope.get<JobsRoute>('/jobs/:jid/:timeout', gated, jobs);
    // salt-api's Jobs inherits the root POST: lowstate with the session.
    scope.post('/jobs', gated, runWithSession(app));
    refuseDeeperPaths(scope, '/jobs/:jid', ['POST'], app.authGate);
    refuseDeeperPaths(scope, '/jobs/:jid/:timeout', ['POST'], app.authGate);
    refuseDeeperPaths(scope, '/jobs/:jid/:timeout/*', ['GET', 'POST'], app.authGate);
    for (const url of ['/jobs', '/jobs/:jid', '/jobs/:jid/:timeout', '/jobs/:jid/:timeout/*']) {
      rejectOtherMethods(scope, url, LOWSTATE_METHODS, { gate: app.authGate, lengthRule: 'put-patch' });
    }
  });
}
