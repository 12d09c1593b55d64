import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TokenRecord } from '../../src/salt/clear-commands.js';
import {
  SessionStore,
  cookieValue,
  expiredSessionCookie,
  isSessionIdShape,
  newSessionId,
  sessionCookie,
  sessionOwner,
} from '../../src/http/auth/sessions.js';
import { fuzzRuns } from '../support/fuzz.js';
import { tokenRecord as record } from '../support/token-record.js';

const HOUR = 3600;

function tokenOf(name: string, eauth = 'pam', expireIn = HOUR, now = Date.now()): TokenRecord {
  return {
    token: newSessionId() + newSessionId().slice(0, 24),
    name,
    eauth,
    start: now / 1000,
    expire: now / 1000 + expireIn,
  };
}

function store(options: ConstructorParameters<typeof SessionStore>[0] = {}): {
  sessions: SessionStore;
  ended: string[];
} {
  const sessions = new SessionStore(options);
  const ended: string[] = [];
  sessions.onEnd((id) => ended.push(id));
  return { sessions, ended };
}

describe('SessionStore bounds', () => {
  it("ends the user's own least recently used session at the per-user bound, never another user's", () => {
    const { sessions, ended } = store({ maxSessions: 1_000, maxSessionsPerUser: 3 });
    const victim = sessions.save(newSessionId(), tokenOf('saltdev'));
    const mine = [1, 2, 3].map(() => sessions.save(newSessionId(), tokenOf('nobody', 'auto'))?.id);
    expect(sessions.use(mine[0] ?? '')).toBeDefined(); // now the most recently used of nobody's
    for (let i = 0; i < 10_000; i++) sessions.save(newSessionId(), tokenOf('nobody', 'auto'));
    expect(sessions.countOf(sessionOwner(tokenOf('nobody', 'auto')))).toBe(3);
    expect(sessions.size).toBe(4);
    expect(victim && sessions.use(victim.id)).toBeDefined();
    expect(ended).not.toContain(victim?.id);
    expect(ended[0]).toBe(mine[1]);
  });

  it('counts users by eauth backend and name', () => {
    const { sessions } = store({ maxSessionsPerUser: 1 });
    const pam = sessions.save(newSessionId(), tokenOf('alice', 'pam'));
    const ldap = sessions.save(newSessionId(), tokenOf('alice', 'ldap'));
    expect(pam && sessions.use(pam.id)).toBeDefined();
    expect(ldap && sessions.use(ldap.id)).toBeDefined();
  });

  it('a full store lets a new user in: the oldest session unused since its login goes, not an older one in use', () => {
    let now = 1_000_000;
    const { sessions, ended } = store({ maxSessions: 4, maxSessionsPerUser: 2, now: () => now++ });
    const operator = sessions.save(newSessionId(), tokenOf('operator'));
    sessions.use(operator.id);
    const flood = ['m1', 'm2', 'm3'].map((name) => sessions.save(newSessionId(), tokenOf(name, 'auto')));
    // Older still than the flood, but used: it stays while any session nobody used is left.
    for (let i = 4; i < 7; i++) {
      expect(sessions.save(newSessionId(), tokenOf(`m${i}`, 'auto'))).toBeDefined();
      expect(ended).toEqual(flood.slice(0, i - 3).map((session) => session.id));
    }
    expect(sessions.use(operator.id)).toBeDefined();
    expect(sessions.size).toBe(4);
    expect(sessions.evictions()).toEqual({ userLimit: 0, storeFull: 3 });
  });

  it('with every session in use, a full store ends the least recently used one of all', () => {
    let now = 1_000_000;
    const { sessions, ended } = store({ maxSessions: 3, now: () => now++ });
    const [a, b, c] = ['a', 'b', 'c'].map((name) => sessions.save(newSessionId(), tokenOf(name)));
    for (const session of [b, a, c]) sessions.use(session?.id ?? '');
    sessions.save(newSessionId(), tokenOf('d'));
    expect(ended).toEqual([b?.id]);
    expect(sessions.evictions().storeFull).toBe(1);
  });

  it('counts the sessions a user at max_sessions_per_user gives up', () => {
    const { sessions } = store({ maxSessionsPerUser: 2 });
    for (let i = 0; i < 5; i++) sessions.save(newSessionId(), tokenOf('a'));
    expect(sessions.evictions()).toEqual({ userLimit: 3, storeFull: 0 });
  });

  it('knows which Salt tokens its sessions hold', () => {
    const { sessions } = store();
    const token = tokenOf('a');
    const first = sessions.save(newSessionId(), token);
    const second = sessions.save(newSessionId(), token);
    expect(sessions.holdsToken(token.token)).toBe(true);
    sessions.delete(first.id);
    expect(sessions.holdsToken(token.token)).toBe(true);
    sessions.delete(second.id);
    expect(sessions.holdsToken(token.token)).toBe(false);
  });

  it('makes room from idle sessions and from sessions whose Salt token has expired first', () => {
    let now = Date.now();
    const { sessions } = store({ maxSessions: 2, lifetimeSeconds: 60, now: () => now });
    sessions.save(newSessionId(), tokenOf('a', 'pam', HOUR, now));
    sessions.save(newSessionId(), tokenOf('b', 'pam', 30, now));
    now += 31_000;
    expect(sessions.save(newSessionId(), tokenOf('c', 'pam', HOUR, now))).toBeDefined();
    now += 61_000;
    expect(sessions.save(newSessionId(), tokenOf('d', 'pam', HOUR, now))).toBeDefined();
    expect(sessions.size).toBeLessThanOrEqual(2);
    expect(sessions.evictions().storeFull).toBe(0);
  });

  it('below max_sessions, never lets any sequence of logins end another user’s session or exceed the user bound', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { maxLength: 200 }), (logins) => {
        const { sessions, ended } = store({ maxSessions: 15, maxSessionsPerUser: 3 });
        const ownerOf = new Map<string, string>();
        for (const name of logins) {
          const endedBefore = ended.length;
          const session = sessions.save(newSessionId(), tokenOf(name));
          for (const id of ended.slice(endedBefore)) expect(ownerOf.get(id)).toBe(name);
          ownerOf.set(session.id, name);
          expect(sessions.countOf(sessionOwner(tokenOf(name)))).toBeLessThanOrEqual(3);
        }
      }),
      fuzzRuns(20261125, 200),
    );
  });

  it('at max_sessions, every login gets in, and ends a session in use only when no unused one is left', () => {
    const step = fc.oneof(
      fc.record({ login: fc.integer({ min: 0, max: 30 }) }),
      fc.record({ use: fc.integer({ min: 0, max: 1_000 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { minLength: 50, maxLength: 300 }), (steps) => {
        let now = 1_000_000;
        const { sessions, ended } = store({ maxSessions: 6, maxSessionsPerUser: 3, now: () => now++ });
        const ownerOf = new Map<string, string>();
        const used = new Set<string>();
        for (const item of steps) {
          const live = [...ownerOf.keys()];
          if ('use' in item) {
            const id = live[item.use % Math.max(1, live.length)];
            if (id !== undefined && sessions.use(id) !== undefined) used.add(id);
            continue;
          }
          const name = `user-${item.login}`;
          const endedBefore = ended.length;
          const session = sessions.save(newSessionId(), tokenOf(name));
          const gone = ended.slice(endedBefore);
          const othersInUseGone = gone.filter((id) => used.has(id) && ownerOf.get(id) !== name);
          for (const id of gone) ownerOf.delete(id);
          // Another user's session in use goes only when every session left has been used.
          if (othersInUseGone.length > 0) expect([...ownerOf.keys()].filter((id) => !used.has(id))).toEqual([]);
          ownerOf.set(session.id, name);
          expect(sessions.size).toBeLessThanOrEqual(6);
          expect(sessions.countOf(sessionOwner(tokenOf(name)))).toBeLessThanOrEqual(3);
        }
      }),
      fuzzRuns(20261126, 200),
    );
  });
});

describe('session ids', () => {
  it('are 40 lower-case hex digits', () => {
    expect(isSessionIdShape(newSessionId())).toBe(true);
    for (const bad of ['', 'ab'.repeat(19), 'AB'.repeat(20), 'ab'.repeat(21), 'zz'.repeat(20)])
      expect(isSessionIdShape(bad)).toBe(false);
  });
});

describe('SessionStore lifetime', () => {
  it('forgets a session idle for longer than its lifetime, and slides on use', () => {
    let now = 0;
    const store = new SessionStore({ lifetimeSeconds: 10, now: () => now });
    store.save('a', record());
    now = 9_000;
    expect(store.use('a')).toBeDefined();
    now = 18_000;
    expect(store.use('a')).toBeDefined();
    now = 28_001;
    expect(store.use('a')).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('evicts the least recently used session past its bound', () => {
    let now = 0;
    const store = new SessionStore({ maxSessions: 2, now: () => now++ });
    store.save('a', record());
    store.save('b', record());
    store.use('a');
    store.save('c', record());
    expect(store.use('b')).toBeUndefined();
    expect(store.use('a')).toBeDefined();
    expect(store.use('c')).toBeDefined();
  });
});

describe('session cookie', () => {
  it("is CherryPy's attribute order with an RFC 1123 date, then HttpOnly and SameSite=Lax", () => {
    expect(sessionCookie('ab', { now: Date.UTC(2026, 10, 23, 8, 0, 0) })).toBe(
      'session_id=ab; expires=Mon, 23 Nov 2026 18:00:00 GMT; Max-Age=36000; Path=/; HttpOnly; SameSite=Lax',
    );
  });

  it('adds Secure under TLS, and the logout cookie is hardened too', () => {
    expect(sessionCookie('ab', { secure: true, now: 0 })).toMatch(/; Path=\/; HttpOnly; SameSite=Lax; Secure$/);
    expect(expiredSessionCookie({ now: 0 })).toMatch(/; Path=\/; HttpOnly; SameSite=Lax$/);
    expect(expiredSessionCookie({ secure: true, now: 0 })).toMatch(/; HttpOnly; SameSite=Lax; Secure$/);
  });

  it('is read from the Cookie header, the last one winning', () => {
    expect(cookieValue('a=1; session_id=abc; b=2', 'session_id')).toBe('abc');
    expect(cookieValue('session_id=one; session_id="two"', 'session_id')).toBe('two');
    expect(cookieValue('xsession_id=1', 'session_id')).toBeUndefined();
  });
});
