import { describe, expect, it } from 'vitest';
import { bindCall, formatCall, loadArgsAndKwargs, parseKwarg, type Signature } from '../../src/demo/call-args.js';

const echo: Signature = { pyName: 'echo', params: [{ name: 'text' }] };
const arg: Signature = { pyName: 'arg', params: [], varArgs: true, varKwargs: true };
const finger: Signature = { pyName: 'finger', params: [{ name: 'match' }, { name: 'hash_type', default: null }] };

describe('demo master call arguments (salt.minion.load_args_and_kwargs and friends)', () => {
  it('parses name=value like salt.utils.args.parse_kwarg', () => {
    expect(parseKwarg('k=v')).toEqual(['k', 'v']);
    expect(parseKwarg('a.b-c=1=2')).toEqual(['a.b-c', '1=2']);
    expect(parseKwarg('1k=v')).toBeUndefined();
    expect(parseKwarg('k==v')).toBeUndefined();
  });

  it('unpacks __kwarg__ maps and name=value strings, adding __pub_ context for **kwargs', () => {
    const split = loadArgsAndKwargs(arg, ['a', 'n=2', { __kwarg__: true, x: 'y' }], { fun: 'test.arg', jid: '1' });
    expect(split).toEqual({ args: ['a'], kwargs: { n: 2, x: 'y', __pub_fun: 'test.arg', __pub_jid: '1' } });
    expect(() => loadArgsAndKwargs(echo, ['hi', 'z=1'])).toThrow('The following keyword arguments are not valid: z=1');
  });

  it('binds like CPython, with its error texts', () => {
    expect(bindCall(echo, ['hi'], {}).values).toEqual({ text: 'hi' });
    expect(() => bindCall(echo, [], {})).toThrow("echo() missing 1 required positional argument: 'text'");
    expect(() => bindCall(echo, ['a', 'b'], {})).toThrow('echo() takes 1 positional argument but 2 were given');
    expect(() => bindCall(finger, ['a', 'b', 'c'], {})).toThrow(
      'finger() takes from 1 to 2 positional arguments but 3 were given',
    );
    expect(() => bindCall(echo, ['a'], { text: 'b' })).toThrow("echo() got multiple values for argument 'text'");
    expect(bindCall(arg, [1, 2], { k: 'v' })).toEqual({ values: {}, extraArgs: [1, 2], extraKwargs: { k: 'v' } });
  });

  it('picks wheel arguments out of a flat load like format_call', () => {
    expect(formatCall(finger, { client: 'wheel', match: 'minion-1', token: 't' })).toEqual({
      args: ['minion-1'],
      kwargs: { hash_type: null },
    });
    expect(() => formatCall(finger, {})).toThrow('finger takes at least 1 argument (0 given)');
  });
});
