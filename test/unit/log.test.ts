import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger({ destination, level: 'debug' }) };
}

describe('createLogger', () => {
  it('writes JSON and never a password or token', () => {
    const { lines, logger } = capture();
    const secret = 'hunter2-very-secret';
    logger.info(
      { password: secret, token: secret, creds: { password: secret, token: secret }, user: 'saltdev' },
      'login',
    );
    logger.info({ req: { headers: { 'x-auth-token': secret, cookie: `session_id=${secret}` } } }, 'request');
    const text = lines.join('');
    expect(text).not.toContain(secret);
    const first = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(first).toMatchObject({ msg: 'login', user: 'saltdev', password: '[redacted]' });
  });
});
