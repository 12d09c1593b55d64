/**
 * `/login` (rest-api.md §4.4, §5.3): mints a Salt token with the posted eauth credentials and
 * ties it to an HTTP session whose id the client uses from then on.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isSaltMap, type SaltMap, type SaltValue } from '../../salt/codec/values.js';
import { MASTER_UNAVAILABLE, TOKEN_CHECK_CACHE_MS } from '../auth.js';
import { HttpError, rejectOtherMethods } from '../errors.js';
import { loginPerms } from '../perms.js';
import { LOWSTATE_METHODS, refuseUndeclaredQuery, sendAllow, sessionScope } from './common.js';
import { emptyDict } from '../../dict.js';

const REFUSED = 'Could not authenticate using provided credentials';

/** The socket peer address (never a header), IPv4-mapped IPv6 written as plain IPv4. */
export function peerAddress(request: FastifyRequest): string {
  const address = request.socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice('::ffff:'.length) : address;
}

/**
 * `api_acl` (rest-api.md §4.6): a listed user passes from one of their addresses (or anywhere
 * with `'*'`); an unlisted user is judged by the `'*'` entry, and refused without one.
 */
export function apiAclAllows(acl: Readonly<Record<string, readonly string[]>> | undefined, user: unknown, ip: string): boolean {
  if (acl === undefined || Object.keys(acl).length === 0) return true;
  const name = typeof user === 'string' ? user : undefined;
  const allowed = name !== undefined && Object.hasOwn(acl, name) ? acl[name] : acl['*'];
  return allowed !== undefined && (allowed.includes(ip) || allowed.includes('*'));
}

/** The posted credentials: the body's mapping, or the first chunk of a list. */
function credentialsOf(body: unknown): SaltMap | undefined {
  const creds = Array.isArray(body) ? body[0] : body;
  return isSaltMap(creds) && Object.keys(creds).length > 0 ? creds : undefined;
}

/** `username`, `password`, `eauth` first, then every other posted key, as salt-api sends them. */
function mkTokenLoad(creds: SaltMap): SaltMap {
  const load = emptyDict<SaltValue>();
  for (const key of ['username', 'password', 'eauth']) if (Object.hasOwn(creds, key)) load[key] = creds[key];
  for (const [key, value] of Object.entries(creds)) if (!Object.hasOwn(load, key)) load[key] = value;
  return load;
}

export async function loginRoutes(app: FastifyInstance): Promise<void> {
  const { settings } = app;

  async function login(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    if (!app.master.available) throw new HttpError(503, MASTER_UNAVAILABLE);
    const creds = credentialsOf(request.body);
    // An empty or shapeless body crashes salt-api (500); it is simply a failed login here.
    if (creds === undefined) throw new HttpError(401, REFUSED, { shape: 'envelope' });

    const user = creds['username'];
    const ip = peerAddress(request);
    if (!apiAclAllows(settings.rest.apiAcl, user, ip)) {
      request.log.info({ user, ip }, '[api_acl] Authentication failed');
      throw new HttpError(401);
    }

    const token = await app.master.commands.mkToken(mkTokenLoad(creds));
    if (token === null) {
      request.log.info({ user, ip }, 'login refused');
      throw new HttpError(401, REFUSED);
    }
    request.log.info({ user: token.name, eauth: token.eauth, ip }, 'login accepted');

    const state = request.saltSession;
    if (state === null) throw new Error('/login is not a session route');
    const session = app.sessions.save(state.id, token);
    session.validatedUntil = Math.min(Date.now() + TOKEN_CHECK_CACHE_MS, token.expire * 1000);
    state.session = session;

    reply.header('X-Auth-Token', state.id);
    return reply.sendSalt({
      return: [
        {
          token: state.id,
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
    scope.get('/login', async (request, reply) => {
      refuseUndeclaredQuery(request, [], settings.rest.debug);
      reply.header('WWW-Authenticate', 'Session');
      return reply.sendSalt({ status: null, return: 'Please log in' });
    });
    scope.post('/login', login);
    rejectOtherMethods(scope, '/login', LOWSTATE_METHODS);
  });
}
