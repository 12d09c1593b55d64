import { execFileSync } from 'node:child_process';
import { mkdtemp, open, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fastify from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LogFile, type LogFileOptions } from '../../src/log.js';
import {
  ACCESS_LOG_MAX_PENDING_BYTES,
  installAccessLog,
  escapeAtom,
  formatAccessLine,
  formatAccessTime,
  redactReferer,
  type AccessRecord,
} from '../../src/http/stats/access-log.js';
import { redactUrl } from '../../src/http/app.js';

/** `log_access_file` as log-outputs.ts opens it, with what a test sets. */
const accessLogFile = (path: string, options: LogFileOptions = {}): LogFile =>
  new LogFile(path, 'log_access_file', {
    maxPendingBytes: ACCESS_LOG_MAX_PENDING_BYTES,
    name: 'access log',
    ...options,
  });

const record = (overrides: Partial<AccessRecord> = {}): AccessRecord => ({
  ip: '10.1.2.3',
  time: new Date(2026, 10, 23, 8, 8, 25),
  method: 'GET',
  url: '/minions',
  httpVersion: '1.1',
  status: 200,
  bytes: 1234,
  referer: 'http://salt.example/app',
  userAgent: 'curl/8.5.0',
  ...overrides,
});

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('access line format', () => {
  it('is CherryPy’s combined format', () => {
    expect(formatAccessLine(record())).toBe(
      '10.1.2.3 - - [23/Nov/2026:08:08:25] "GET /minions HTTP/1.1" 200 1234 "http://salt.example/app" "curl/8.5.0"',
    );
  });

  it('pads the date like [%d/%b/%Y:%H:%M:%S]', () => {
    expect(formatAccessTime(new Date(2027, 0, 5, 3, 4, 9))).toBe('[05/Jan/2027:03:04:09]');
    expect(formatAccessTime(new Date(2026, 11, 31, 23, 59, 59))).toBe('[31/Dec/2026:23:59:59]');
  });

  it('prints - for zero or absent bytes, and empty quotes for absent referer and user agent', () => {
    const line = formatAccessLine(record({ bytes: undefined, referer: undefined, userAgent: undefined, status: 101 }));
    expect(line).toBe('10.1.2.3 - - [23/Nov/2026:08:08:25] "GET /minions HTTP/1.1" 101 - "" ""');
    expect(formatAccessLine(record({ bytes: 0 }))).toContain('" 200 - "');
  });

  it('escapes quotes and non-printable bytes so a line stays one line', () => {
    expect(escapeAtom('say "hi"')).toBe('say \\"hi\\"');
    expect(escapeAtom('a\nb\tc\rd')).toBe('a\\nb\\tc\\rd');
    expect(escapeAtom('é')).toBe('\\xc3\\xa9');
    const line = formatAccessLine(record({ userAgent: 'evil"\n1.2.3.4 - - [x] "GET / HTTP/1.1" 200 - "" ""' }));
    expect(line.split('\n')).toHaveLength(1);
  });
});

describe('access line redaction', () => {
  const secret = '0123456789abcdef0123456789abcdef01234567';
  it.each([
    [`/events?token=${secret}`, '/events?[redacted]'],
    [`/events?salt_token=${secret}&x=1`, '/events?[redacted]'],
    [`/events/${secret}`, '/events/[redacted]'],
    [`/ws/${secret}`, '/ws/[redacted]'],
    [`/ws/${secret}?format_events`, '/ws/[redacted]'],
    [`/all_events/${secret}`, '/all_events/[redacted]'],
    [`/formatted_events/${secret}`, '/formatted_events/[redacted]'],
  ])('%s', (url, expected) => {
    const line = formatAccessLine(record({ url: redactUrl(url, '/') }));
    expect(line).toContain(`"GET ${expected} HTTP/1.1"`);
    expect(line).not.toContain(secret);
  });

  it.each([
    [`/%65vents/${secret}`, '/'],
    [`/%2565vents/${secret}`, '/'],
    [`/EVENTS/${secret}`, '/'],
    [`//events//${secret}`, '/'],
    [`/events;x=1/${secret}`, '/'],
    [`/events%2F${secret}`, '/'],
    [`/%77s/${secret}?format_events`, '/'],
    [`/All_Events/${secret}`, '/'],
    [`/%65vents?token=${secret}`, '/'],
    [`/Events?salt_token=${secret}`, '/'],
    [`/api//%65vents/${secret}`, '/api'],
    [`/API/Events/${secret}`, '/api'],
    [`/%61pi/ws/${secret}`, '/api/'],
    [`/events/${secret}`, '/api'],
    [`/jobs?token=${secret}`, '/'],
    [`/?%74oken=${secret}`, '/'],
  ])('%s under root_prefix %s: the decoded path is what counts', (url, prefix) => {
    const redacted = redactUrl(url, prefix);
    expect(redacted).not.toContain(secret);
    expect(redacted).toContain('[redacted]');
  });

  it('leaves URLs without a token alone', () => {
    for (const url of [
      '/events',
      '/events/',
      '/ws',
      '/jobs/20260101000000000000',
      '/minions/ws',
      '/?x=1',
      '/hook/events',
    ]) {
      expect(redactUrl(url, '/')).toBe(url);
    }
    expect(redactUrl(`/%65vents/${secret}`, '/')).toBe('/events/[redacted]');
    expect(redactUrl(`/API/Events/${secret}`, '/api')).toBe('/api/events/[redacted]');
  });

  it('under a root prefix, and in a Referer naming such a URL', () => {
    expect(redactUrl(`/api/events?token=${secret}`, '/api')).toBe('/api/events?[redacted]');
    expect(redactReferer(`https://salt.example/events?token=${secret}`, '/')).toBe(
      'https://salt.example/events?[redacted]',
    );
    expect(redactReferer('https://salt.example/app?x=1', '/')).toBe('https://salt.example/app?x=1');
    expect(redactReferer('not a url', '/')).toBe('not a url');
  });
});

describe('the access log file (a LogFile with a bound)', () => {
  async function tempFile(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'salt-apid-access-'));
    dirs.push(dir);
    return join(dir, 'access.log');
  }

  it('appends lines, and after reopen writes a fresh file at the same path', async () => {
    const path = await tempFile();
    const file = accessLogFile(path);
    file.write('one\n');
    // Rotated once the line is on disk, however long a busy machine takes to write it.
    await vi.waitFor(async () => expect(await readFile(path, 'utf8').catch(() => '')).toBe('one\n'), {
      timeout: 10_000,
      interval: 10,
    });
    await rename(path, `${path}.1`);
    file.reopen();
    file.write('two\n');
    await file.close();
    expect(await readFile(`${path}.1`, 'utf8')).toBe('one\n');
    expect(await readFile(path, 'utf8')).toBe('two\n');
  });

  it('drops and counts lines instead of buffering without limit', async () => {
    const path = await tempFile();
    const problems: string[] = [];
    const file = accessLogFile(path, { maxPendingBytes: 100, onProblem: (message) => problems.push(message) });
    const line = 'x'.repeat(60);
    for (let i = 0; i < 50; i++) file.write(`${line}\n`);
    expect(file.dropped).toBeGreaterThan(0);
    expect(problems.some((p) => p.includes('dropping'))).toBe(true);
    await file.close();
    const written = (await readFile(path, 'utf8')).split('\n').filter(Boolean);
    expect(written.length + file.dropped).toBe(50);
  });

  it('drops and counts lines while the file takes none, and requests never wait for it', async () => {
    // A FIFO whose reader does not read: once the pipe is full, every write to it blocks.
    const fifo = join(await mkdtemp(join(tmpdir(), 'salt-apid-access-')), 'access.fifo');
    dirs.push(join(fifo, '..'));
    execFileSync('mkfifo', [fifo]);
    const readerOpening = open(fifo, 'r');
    const problems: string[] = [];
    const maxPendingBytes = 16 * 1024;
    const file = accessLogFile(fifo, { maxPendingBytes, onProblem: (message) => problems.push(message) });
    const reader = await readerOpening;
    const app = fastify();
    installAccessLog(app, { rootPrefix: '/', file });
    app.get('/*', async () => 'ok');
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const requests = 200;
    const query = 'q'.repeat(4000);
    try {
      for (let i = 0; i < requests; i++) {
        const response = await fetch(`${url}/line-${i}?${query}`);
        expect(response.status).toBe(200);
        await response.text();
        expect(file.pendingBytes).toBeLessThanOrEqual(maxPendingBytes);
      }
    } finally {
      await app.close();
    }
    // ~4 KiB lines: the pipe (64 KiB) and the buffer (16 KiB) hold a few dozen of them.
    expect(file.dropped).toBeGreaterThan(requests / 2);
    // Warned when dropping starts (again after the pipe took a little), never once per line.
    const warnings = problems.filter((p) => p.includes('cannot keep up')).length;
    expect(warnings).toBeGreaterThanOrEqual(1);
    expect(warnings).toBeLessThan(file.dropped / 10);

    const chunks: Buffer[] = [];
    const closing = file.close();
    for await (const chunk of reader.createReadStream()) chunks.push(Buffer.from(chunk as Buffer));
    await closing;
    const lines = Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean);
    expect(lines.length + file.dropped).toBe(requests);
    expect(lines.every((line) => line.includes(`?${query} HTTP/1.1" 200 2 `))).toBe(true);
  }, 20_000);

  it('throws at once when the file cannot be opened', () => {
    expect(() => accessLogFile('/nonexistent-dir/salt-apid/access.log')).toThrow(/ENOENT/);
  });
});
