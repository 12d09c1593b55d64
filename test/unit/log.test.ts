import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, LOG_FILE_WATCH_MS, LogFile, LogFileError } from '../../src/log.js';

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

describe('createLogger with log files', () => {
  const sink = () => {
    const lines: string[] = [];
    return { lines, sink: { write: (line: string) => lines.push(line) } };
  };

  it('gives each output the same redacted lines from its own level', () => {
    const lines: string[] = [];
    const stdout = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const debugFile = sink();
    const errorFile = sink();
    const logger = createLogger({
      level: 'info',
      destination: stdout,
      files: [
        { level: 'debug', sink: debugFile.sink },
        { level: 'error', sink: errorFile.sink },
        { level: 'silent', sink: sink().sink },
      ],
    });
    logger.debug('details');
    logger.info({ token: 'tok-secret' }, 'started');
    logger.error({ password: 'pw-secret' }, 'broken');
    const messages = (out: string[]): string[] => out.map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages(debugFile.lines)).toEqual(['details', 'started', 'broken']);
    expect(messages(lines)).toEqual(['started', 'broken']);
    expect(messages(errorFile.lines)).toEqual(['broken']);
    expect(debugFile.lines[1]).toBe(lines[0]);
    expect(debugFile.lines.join('')).not.toMatch(/tok-secret|pw-secret/);
  });

  it('a quiet standard output still lets the files have their lines', () => {
    const file = sink();
    const logger = createLogger({ level: 'silent', files: [{ level: 'warn', sink: file.sink }] });
    logger.info('not this');
    logger.warn('this');
    expect(file.lines).toHaveLength(1);
    expect(file.lines[0]).toContain('"msg":"this"');
  });
});

describe('LogFile', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'salt-apid-logfile-'));
    dirs.push(dir);
    return dir;
  };
  const until = async (check: () => boolean): Promise<void> => {
    while (!check()) await new Promise((resolve) => setTimeout(resolve, 10));
  };

  it('cannot be made for a path that cannot be opened: LogFileError names the option', () => {
    const path = join(tempDir(), 'missing', 'api');
    expect(() => new LogFile(path, 'api_logfile')).toThrow(LogFileError);
    expect(() => new LogFile(path, 'api_logfile')).toThrow(`cannot open api_logfile ${path}: ENOENT`);
  });

  it('appends, reopens at its path after a move, keeps its file when the path cannot be opened', async () => {
    const dir = tempDir();
    const path = join(dir, 'api');
    writeFileSync(path, 'before\n');
    const problems: string[] = [];
    const file = new LogFile(path, 'api_logfile', { onProblem: (message) => problems.push(message) });
    file.write('one\n');
    await until(() => readFileSync(path, 'utf8').includes('one'));
    renameSync(path, `${path}.1`);
    file.reopen();
    file.write('two\n');
    await until(() => existsSync(path) && readFileSync(path, 'utf8').includes('two'));
    expect(readFileSync(`${path}.1`, 'utf8')).toBe('before\none\n');
    // A directory where the file was: the reopen fails, the current file is kept.
    renameSync(path, `${path}.2`);
    mkdirSync(path);
    file.reopen();
    expect(problems).toEqual([`${path}: cannot reopen the log file`]);
    file.write('three\n');
    await file.close();
    expect(readFileSync(`${path}.2`, 'utf8')).toBe('two\nthree\n');
    expect(file.write('after close\n')).toBe(false);
  });

  it('closes, every line in a file, when a rotation is noticed while a line is being written', async () => {
    const dir = tempDir();
    const path = join(dir, 'api');
    let now = 1_000;
    // Bounded, for its count of bytes not yet acknowledged by the writer.
    const file = new LogFile(path, 'api_logfile', { now: () => now, maxPendingBytes: 1 << 20 });
    file.write('one\n');
    // That write acknowledged, so that the next one is under way when the rotation is noticed.
    await until(() => readFileSync(path, 'utf8') === 'one\n' && file.pendingBytes === 0);
    file.write('two\n');
    renameSync(path, `${path}.1`);
    now += LOG_FILE_WATCH_MS;
    // Noticed here: the writer defers its reopen until 'two' is written; the close comes meanwhile.
    file.write('three\n');
    const closed = await Promise.race([
      file.close().then(() => 'closed'),
      new Promise((resolve) => setTimeout(resolve, 5_000, 'still open after 5 s')),
    ]);
    expect(closed).toBe('closed');
    expect(readFileSync(`${path}.1`, 'utf8') + readFileSync(path, 'utf8')).toBe('one\ntwo\nthree\n');
    expect(readFileSync(path, 'utf8')).toBe('three\n');
  });

  it('follows a rotation with no signal, as WatchedFileHandler does: moved away, or moved and created', async () => {
    const dir = tempDir();
    const path = join(dir, 'api');
    let now = 1_000;
    const file = new LogFile(path, 'api_logfile', { now: () => now });
    file.write('one\n');
    await until(() => readFileSync(path, 'utf8') === 'one\n');
    // logrotate without `create`: the path is gone until the next line recreates it.
    renameSync(path, `${path}.1`);
    now += LOG_FILE_WATCH_MS - 1;
    file.write('still the moved file\n');
    now += 1;
    file.write('two\n');
    // The line before the check goes to the moved file, or, when the writer still held it (its last
    // write not yet acknowledged), to the new one with the lines after: never lost, never out of order.
    const moved = (): string => readFileSync(`${path}.1`, 'utf8');
    const current = (): string => (existsSync(path) ? readFileSync(path, 'utf8') : '');
    await until(() => current().endsWith('two\n') && moved() + current() === 'one\nstill the moved file\ntwo\n');
    expect(moved()).toMatch(/^one\n/);
    expect(['two\n', 'still the moved file\ntwo\n']).toContain(current());
    const beforeSecondRotation = current();
    // logrotate with `create 0640`: a new, empty file at the path.
    renameSync(path, `${path}.2`);
    writeFileSync(path, '');
    now += LOG_FILE_WATCH_MS;
    file.write('three\n');
    await file.close();
    expect(readFileSync(path, 'utf8')).toBe('three\n');
    expect(readFileSync(`${path}.2`, 'utf8')).toBe(beforeSecondRotation);
  });
});
