import { describe, expect, it } from 'vitest';
import { isHexToken, prepareChunks, toLowstate } from '../../src/http/lowstate.js';
import { loginPerms } from '../../src/http/perms.js';
import { pythonRepr } from '../../src/python/repr.js';
import { apiAclAllows } from '../../src/http/routes/login.js';
import { lastValue, refuseUndeclaredQuery } from '../../src/http/routes/query.js';
import { SessionStore, cookieValue, expiredSessionCookie, sessionCookie } from '../../src/http/sessions.js';
import type { TokenRecord } from '../../src/salt/clear-commands.js';

const record = (overrides: Partial<TokenRecord> = {}): TokenRecord => ({
  token: 'ab'.repeat(32),
  name: 'saltdev',
  eauth: 'pam',
  start: 1000,
  expire: 2000,
  ...overrides,
});

describe('SessionStore', () => {
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

describe('lowstate shaping', () => {
  it("accepts what Python's int(token, 16) accepts", () => {
    for (const ok of ['abc123', 'ABC', ' 0xff ', '-1', 'a_b', '0x_f']) expect(isHexToken(ok), ok).toBe(true);
    for (const bad of ['', 'bxd', '0x', '/etc/passwd', 'a__b', '_a', 'a_', 12, null])
      expect(isHexToken(bad), String(bad)).toBe(false);
  });

  it('wraps a mapping and its scalar arg; refuses anything but a list', () => {
    expect(toLowstate({ fun: 'x', arg: 1 })).toEqual([{ fun: 'x', arg: [1] }]);
    expect(toLowstate([{ fun: 'x', arg: 1 }])).toEqual([{ fun: 'x', arg: 1 }]);
    for (const bad of [{}, null, undefined, 'text', 3])
      expect(() => toLowstate(bad)).toThrow('Lowstates must be a list');
  });

  it("injects the token over the chunk's own, forces the client, wraps arg", () => {
    const [chunk] = prepareChunks([{ client: 'local', token: 'zzz', arg: 'a' }], {
      token: 'abc',
      client: 'local_async',
    });
    expect(chunk).toEqual({ client: 'local_async', token: 'abc', arg: ['a'] });
    expect(Object.keys(chunk ?? {})).toEqual(['client', 'token', 'arg']);
    expect(() => prepareChunks([{ token: 'zzz' }])).toThrow('Invalid token');
    expect(() => prepareChunks([{}, 'x'])).toThrow('Lowstate chunk 2 must be a mapping, but it is a string');
  });
});

describe('api_acl', () => {
  it('follows salt_api_acl_tool', () => {
    expect(apiAclAllows(undefined, 'a', '1.2.3.4')).toBe(true);
    // api_acl set without users: the tool returns None, which refuses.
    expect(apiAclAllows({}, 'a', '1.2.3.4')).toBe(false);
    const acl = { alice: ['1.1.1.1'], bob: ['*'] };
    expect(apiAclAllows(acl, 'alice', '1.1.1.1')).toBe(true);
    expect(apiAclAllows(acl, 'alice', '2.2.2.2')).toBe(false);
    expect(apiAclAllows(acl, 'bob', '2.2.2.2')).toBe(true);
    expect(apiAclAllows(acl, 'carol', '1.1.1.1')).toBe(false);
    expect(apiAclAllows({ ...acl, '*': ['3.3.3.3'] }, 'carol', '3.3.3.3')).toBe(true);
  });
});

describe('login perms', () => {
  it('writes Python reprs to sort non-string entries', () => {
    expect(pythonRepr({ '@runner': ['jobs.*'], n: [1, true, null] })).toBe(
      "{'@runner': ['jobs.*'], 'n': [1, True, None]}",
    );
    expect(pythonRepr("it's")).toBe('"it\'s"');
  });

  it("gathers user, '*' and group entries, de-duplicated", () => {
    const auth = {
      pam: {
        saltdev: ['b', { z: ['x'] }, 'a'],
        '*': ['a', { a: ['y'] }, { z: ['x'] }],
        'admins%': ['c'],
        'users%': 'not a list' as unknown as unknown[],
      },
    };
    expect(loginPerms(auth, record({ groups: ['admins', 'users'] }))).toEqual([
      'a',
      'b',
      'c',
      { a: ['y'] },
      { z: ['x'] },
    ]);
    expect(loginPerms(auth, record({ name: 'other' }))).toEqual(['a', { a: ['y'] }, { z: ['x'] }]);
    expect(loginPerms({}, record())).toEqual({});
    expect(loginPerms({ rest: {} }, record({ eauth: 'rest', auth_list: ['x.*'] }))).toEqual(['x.*']);
  });
});

describe('query strings', () => {
  it('passes the last value of a repeated parameter, as CherryPy does', () => {
    expect(lastValue(undefined)).toBeUndefined();
    expect(lastValue('a')).toBe('a');
    expect(lastValue(['a', 'b', 'c'])).toBe('c');
  });

  it('refuses undeclared parameters with 404, naming them only in debug mode', () => {
    expect(() => refuseUndeclaredQuery({ mid: 'x' }, ['mid'], false)).not.toThrow();
    const quiet = (): void => refuseUndeclaredQuery({ mid: 'x', other: 'y' }, ['mid'], false);
    expect(quiet).toThrow(expect.objectContaining({ status: 404, message: expect.not.stringContaining('other') }));
    const named = (): void => refuseUndeclaredQuery({ a: '1', b: ['2', '3'] }, [], true);
    expect(named).toThrow('Unexpected query string parameters: a, b');
  });
});
