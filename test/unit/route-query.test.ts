import { describe, expect, it } from 'vitest';
import { lastValue, refuseUndeclaredQuery } from '../../src/http/routes/query.js';

/** src/http/routes/query.ts: CherryPy's handling of query parameters. */
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
