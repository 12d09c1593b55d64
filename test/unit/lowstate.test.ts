import { describe, expect, it } from 'vitest';
import { isHexToken, prepareChunks, toLowstate } from '../../src/http/lowstate.js';

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
