import type { TokenRecord } from '../../src/salt/clear-commands.js';

/** A Salt token record of saltdev's (pam, start 1000, expire 2000), with `overrides` on top. */
export const tokenRecord = (overrides: Partial<TokenRecord> = {}): TokenRecord => ({
  token: 'ab'.repeat(32),
  name: 'saltdev',
  eauth: 'pam',
  start: 1000,
  expire: 2000,
  ...overrides,
});
