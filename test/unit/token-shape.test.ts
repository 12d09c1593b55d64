import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { couldBeSaltToken, saltTokenLength } from '../../src/salt/token-shape.js';

describe('Salt token form', () => {
  it.each([
    ['md5', 32],
    ['sha1', 40],
    ['sha224', 56],
    ['sha256', 64],
    ['SHA256', 64],
    ['sha384', 96],
    ['sha512', 128],
    ['sha3_256', 64],
    ['blake2b', 128],
    ['blake2s', 64],
  ])('hash_type %s → %i hex digits', (hashType, length) => {
    expect(saltTokenLength(hashType)).toBe(length);
  });

  it('accepts every token the master can mint and nothing of another form', () => {
    for (const hashType of ['md5', 'sha1', 'sha256', 'sha512']) {
      const length = saltTokenLength(hashType);
      const token = createHash(hashType).update(randomBytes(512)).digest('hex');
      expect(couldBeSaltToken(token, length)).toBe(true);
      expect(couldBeSaltToken(token.toUpperCase(), length)).toBe(true);
      for (const bad of [
        token.slice(1),
        `${token}0`,
        `0x${token.slice(2)}`,
        ` ${token.slice(1)}`,
        `${token.slice(1)}g`,
      ]) {
        expect(couldBeSaltToken(bad, length)).toBe(false);
      }
    }
    expect(couldBeSaltToken(12, 64)).toBe(false);
  });

  it('checks only the hex form for a hash_type Node does not know', () => {
    expect(saltTokenLength('whirlpool-9000')).toBeUndefined();
    expect(couldBeSaltToken('ab'.repeat(50), undefined)).toBe(true);
    expect(couldBeSaltToken('', undefined)).toBe(false);
  });
});
