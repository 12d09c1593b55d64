import { chmod, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bearerToken, MetricsToken } from '../../src/http/auth/metrics-token.js';
import { StartupError } from '../../src/startup-error.js';
import { tempDirsPerTest } from '../support/temp-dirs.js';

const tempDir = tempDirsPerTest('metrics-token-unit-');

describe('metrics_token_file', () => {
  it('reads one token, without the white space around it, and refuses an empty, spaced or missing file', async () => {
    const dir = await tempDir();
    const file = join(dir, 'token');
    await writeFile(file, '  a-long-enough-scrape-token \n');
    const token = new MetricsToken(file);
    expect(token.matches('a-long-enough-scrape-token')).toBe(true);
    expect(token.matches(' a-long-enough-scrape-token')).toBe(false);
    expect(token.matches('a-long-enough-scrape-toke')).toBe(false);
    expect(token.weak).toBe(false);
    await writeFile(file, 'short');
    expect(new MetricsToken(file).weak).toBe(true);
    for (const text of ['', ' \n\t', 'two words']) {
      await writeFile(file, text);
      expect(() => new MetricsToken(file)).toThrow(StartupError);
    }
    expect(() => new MetricsToken(join(dir, 'missing'))).toThrow(/Cannot use .*missing \(metrics_token_file\): ENOENT/);
  });

  it('takes a rotated token once the file changed, and keeps the last one while the file cannot be read', async () => {
    const file = join(await tempDir(), 'token');
    await writeFile(file, 'first-token-0123456789');
    let now = 0;
    const failures: Error[] = [];
    const token = new MetricsToken(file, { now: () => now, onReloadFailure: (error) => failures.push(error) });
    await writeFile(file, 'second-token-0123456789-longer');
    // Looked at again no more than once a second.
    expect(token.matches('first-token-0123456789')).toBe(true);
    now = 1_000;
    expect(token.matches('second-token-0123456789-longer')).toBe(true);
    expect(token.matches('first-token-0123456789')).toBe(false);
    await rm(file);
    now = 2_000;
    expect(token.matches('second-token-0123456789-longer')).toBe(true);
    now = 3_000;
    expect(token.matches('second-token-0123456789-longer')).toBe(true);
    expect(failures).toHaveLength(1);
    await writeFile(file, 'third-token-0123456789-longer!');
    await chmod(file, 0o600);
    now = 4_000;
    expect(token.matches('third-token-0123456789-longer!')).toBe(true);
  });

  it('finds the token of an Authorization: Bearer header only', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken('Bearer ')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
