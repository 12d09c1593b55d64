/**
 * `/login` (docs/routes.md "POST /login"): mints a Salt token with the posted eauth credentials and
 * ties it to an HTTP session whose id the client uses from then on.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isSaltMap, type SaltMap, type SaltValue } from '../../salt/codec/values.js';
import { MASTER_UNAVAILABLE } from '../auth/auth.js';
import { HttpError } from '../transport/errors.js';
import { peerAddress } from '../auth/credential-guard.js';
import { loginPerms } from '../auth/perms.js';
import type { TokenRecord } from '../../salt/clear-commands.js';
import {
  cookieOptionsFor,
  sessionCookie,
  setSessionCookie,
  type RequestSession,
  type Session,
  type SessionStore,
} from '../auth/sessions.js';
import { LOWSTATE_METHODS, refuseDeeperPaths, rejectOtherMethods, sendAllow } from './methods.js';
import { refuseUndeclaredQuery, type QueryRoute } from './query.js';
import { sessionScope } from './session-scope.js';
import { emptyDict } from '../../dict.js';
import { auditLoginFailure, auditSession } from '../audit/session-records.js';

const REFUSED = 'Could not authenticate using provided credentials';

export { apiAclAllows, peerAddress } from '../auth/credential-guard.js';

/** The posted credentials: the body's mapping, or the first chunk of a list. */
function credentialsOf(body: unknown): SaltMap | undefined {
  const creds: unknown = Array.isArray(body) ? body[0] : body;
  return isSaltMap(creds) && Object.keys(creds).length > 0 ? creds : undefined;
}

/** `username`, `password`, `eauth` first, then every other posted key, as salt-api sends them. */
function mkTokenLoad(creds: SaltMap): SaltMap {
  const load = emptyDict<SaltValue>();
  for (const key of ['username', 'password', 'eauth']) if (Object.hasOwn(creds, key)) load[key] = creds[key];
  for (const [key, value] of Object.entries(creds)) if (!Object.hasOwn(load, key)) load[key] = value;
  return load;
}

/**
 * The session a successful login starts: always under a fresh id, so that an id the client was
 * handed before logging in (session fixation) is never the one that gets the token; a live
 * session the client presented is ended. A full store makes room (SessionStore): a login that
 * the master accepted is never refused here.
 */
async function startSession(
  store: SessionStore,
  state: RequestSession,
  id: string,
  token: TokenRecord,
): Promise<Session> {
  if (state.session !== undefined) await store.remove(state.session.id);
  const session = store.save(id, token);
  state.id = session.id;
  state.session = session;
  await store.persist(session);
  return session;
}

export async function loginRoutes(app: FastifyInstance): Promise<void> {
  const { settings } = app;

  /** The session of a login the master accepted, under a fresh id; throws what the login is answered with. */
  async function authenticate(request: FastifyRequest, creds: SaltMap | undefined): Promise<Session> {
    // The new session's id first: a shared store that is down fails the login (500, as CherryPy's
    // session tool fails it) before anything else, and before the master mints a token it could not keep.
    const id = await app.sessions.freshId();
    if (!app.master.available) throw new HttpError(503, MASTER_UNAVAILABLE);
    // An empty or shapeless body crashes salt-api (500); it is simply a failed login here.
    if (creds === undefined) throw new HttpError(401, REFUSED, { shape: 'envelope' });

    const user = creds['username'];
    const ip = peerAddress(request);
    // api_acl and the throttle, which holds a place for this check until the master answers.
    const token = await app.credentialGuard.checked(
      request,
      user,
      () => app.master.commands.mkToken(mkTokenLoad(creds)),
      (record) => record !== null,
    );
    if (token === null) {
      request.log.info({ user, ip }, 'login refused');
      throw new HttpError(401, REFUSED);
    }
    request.log.info({ user: token.name, eauth: token.eauth, ip }, 'login accepted');

    const state = request.saltSession;
    if (state === null) throw new Error('/login is not a session route');
    const session = await startSession(app.sessions, state, id, token);
    // The master has just minted it: no need to ask about it on the next requests.
    app.tokenChecks.confirm(token);
    return session;
  }

  async function login(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const creds = credentialsOf(request.body);
    let session: Session;
    try {
      session = await authenticate(request, creds);
    } catch (error) {
      auditLoginFailure(app, request, reply, creds, error);
      throw error;
    }
    const { token } = session;
    auditSession(app, request, reply, 'login', token);
    setSessionCookie(reply, sessionCookie(session.id, cookieOptionsFor(request)));

    reply.header('X-Auth-Token', session.id);
    return reply.sendSalt({
      return: [
        {
          token: session.id,
          expire: token.expire,
          start: token.start,
          user: token.name,
          eauth: token.eauth,
          perms: loginPerms(settings.master.externalAuth, token),
        },
      ],
    });
  }

  await sessionScope(app, (scope) => {
    sendAllow(scope, LOWSTATE_METHODS);
    scope.get<QueryRoute>('/login', async (request, reply) => {
      refuseUndeclaredQuery(request.query, [], settings.rest.debug);
      reply.header('WWW-Authenticate', 'Session');
      return reply.sendSalt({ status: null, return: 'Please log in' });
    });
    scope.post('/login', login);
    rejectOtherMethods(scope, '/login', LOWSTATE_METHODS, { lengthRule: 'put-patch' });
    refuseDeeperPaths(scope, '/login/*', ['GET', 'POST']);
    rejectOtherMethods(scope, '/login/*', LOWSTATE_METHODS, { lengthRule: 'put-patch' });
  });
}
