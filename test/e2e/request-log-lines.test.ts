import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/main.js';
import { captureIo, cliCleanups, readOrEmpty, type DemoConfig } from '../support/cli.js';

/**
 * How much a request writes to the log. salt-api writes one access line per request (at info); so
 * does salt-apid at its default level, on standard output and in a log file at info. Fastify's own
 * "incoming request" / "request completed" lines come only at debug. With `log_fmt_console` /
 * `log_fmt_logfile` the lines are text in that format, as salt-api writes them.
 */

const { daemonOf, demoConfig } = cliCleanups();

const PASSWORD = 'Pw-log-lines-5e2a';

/** A master config for a demo master whose PAM user alice may run anything; `top(dir)` adds top-level lines. */
const masterConfig = (top: (dir: string) => string[]): Promise<DemoConfig> =>
  demoConfig({
    prefix: 'salt-apid-log-lines-',
    demo: { users: { alice: { password: PASSWORD } }, externalAuth: { pam: { alice: ['.*'] } } },
    top: (dir) => ['external_auth:', '  pam:', '    alice:', "      - '.*'", ...top(dir)],
  });

/** The requests: a page, a login, a refusal (401), a path that does not exist (404), a 406. */
async function makeRequests(base: string, times: number): Promise<number> {
  let made = 0;
  for (let i = 0; i < times; i++) {
    await (await fetch(`${base}/`)).text();
    await (await fetch(`${base}/minions`)).text();
    await (await fetch(`${base}/no/such/page`)).text();
    await (await fetch(`${base}/`, { headers: { Accept: 'application/x-nothing' } })).text();
    made += 4;
  }
  const login = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ username: 'alice', password: PASSWORD, eauth: 'pam' }),
  });
  expect(login.status).toBe(200);
  await login.text();
  return made + 1;
}

const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '');

/**
 * The lines written since `mark`, once there are `count` access lines among them (the test's
 * timeout bounds the wait).
 */
async function linesAfter(
  read: () => Promise<string> | string,
  mark: string,
  count: number,
  isAccess: (line: string) => boolean,
): Promise<string[]> {
  for (;;) {
    const all = lines(await read());
    const after = all.slice(all.findIndex((line) => line.includes(mark)) + 1);
    if (after.filter(isAccess).length >= count) return after;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The messages of each request's lines, by request id. */
function linesByRequest(jsonLines: string[]): Map<string, string[]> {
  const byRequest = new Map<string, string[]>();
  for (const line of jsonLines) {
    const { reqId, msg } = JSON.parse(line) as { reqId?: string; msg: string };
    if (reqId !== undefined) byRequest.set(reqId, [...(byRequest.get(reqId) ?? []), msg]);
  }
  return byRequest;
}

/** The master connection's own news (bus connected, framing learned) may come while the requests run. */
const fromRequests = (line: string): boolean => !line.includes('the master event');

const isJsonAccess = (line: string): boolean => line.includes('"access":{');

describe('log lines per request', () => {
  it('at the default level: one access line per request on standard output and in a log file at info', async () => {
    const { dir, base } = await masterConfig((d) => [`api_logfile: ${join(d, 'api')}`, 'log_level_logfile: info']);
    const { out, streams } = captureIo();
    const daemon = daemonOf(await runCli(['-c', dir], streams));
    await daemon.server.master.bus.waitConnected(2_000);
    daemon.server.app.log.info('requests start');
    const requests = await makeRequests(base, 5);

    const stdout = await linesAfter(() => out.log, 'requests start', requests, isJsonAccess);
    // Each request writes one line, its access line; the login one more, as salt-api's "[api_acl] …".
    const byRequest = linesByRequest(stdout);
    expect(byRequest.size).toBe(requests);
    for (const [, messages] of byRequest) {
      expect(messages.length === 1 || (messages.length === 2 && messages[0] === 'login accepted')).toBe(true);
    }
    expect(stdout.filter(isJsonAccess)).toHaveLength(requests);
    expect(out.log).not.toContain('incoming request');
    expect(out.log).not.toContain('request completed');

    const file = await linesAfter(() => readOrEmpty(join(dir, 'api')), 'requests start', requests, isJsonAccess);
    expect(linesByRequest(file)).toEqual(byRequest);
    expect(out.log + (await readOrEmpty(join(dir, 'api')))).not.toContain(PASSWORD);
  });

  it('at debug: Fastify\'s "incoming request" and "request completed" too; -l wins over log_level', async () => {
    const { dir, base } = await masterConfig(() => ['log_level: warning']);
    const { out, streams } = captureIo();
    const daemon = daemonOf(await runCli(['-c', dir, '-l', 'debug'], streams));
    await daemon.server.master.bus.waitConnected(2_000);
    daemon.server.app.log.info('requests start');
    const requests = await makeRequests(base, 2);
    const stdout = await linesAfter(() => out.log, 'requests start', requests, isJsonAccess);
    const messages = stdout.map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages.filter((msg) => msg === 'incoming request')).toHaveLength(requests);
    expect(stdout.filter(isJsonAccess)).toHaveLength(requests);
    // The access line is written when the response has gone; the last completion may follow it.
    for (;;) {
      const completed = lines(out.log).filter((line) => line.includes('"msg":"request completed"'));
      if (completed.length >= requests) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(out.log).not.toContain(PASSWORD);
  });

  it('log_fmt_console / log_fmt_logfile: text lines in those formats, one per request', async () => {
    const { dir, base } = await masterConfig((d) => [
      `api_logfile: ${join(d, 'api')}`,
      'log_level_logfile: info',
      "log_fmt_console: '[%(levelname)-8s] %(message)s'",
      "log_fmt_logfile: '%(asctime)s,%(msecs)03d [%(name)-17s:%(lineno)-4d][%(levelname)-8s][%(process)d] %(message)s'",
      "log_datefmt_logfile: '%Y-%m-%d %H:%M:%S'",
    ]);
    const { out, streams } = captureIo();
    const daemon = daemonOf(await runCli(['-c', dir], streams));
    await daemon.server.master.bus.waitConnected(2_000);
    daemon.server.app.log.info('requests start');
    const requests = await makeRequests(base, 2);

    // salt-api's console: [INFO    ] 127.0.0.1 - - [06/Dec/2026:20:19:22] "GET / HTTP/1.1" 200 157 "" "curl/7.88.1"
    const consoleAccess =
      /^\[INFO {4}\] 127\.0\.0\.1 - - \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\] "[A-Z]+ \S+ HTTP\/1\.1" \d{3} (\d+|-) "[^"]*" "[^"]*"$/;
    const stdout = await linesAfter(
      () => out.log,
      'requests start',
      requests,
      (line) => consoleAccess.test(line),
    );
    expect(stdout.filter(fromRequests), stdout.join('\n')).toHaveLength(requests + 1);
    expect(stdout.filter((line) => consoleAccess.test(line))).toHaveLength(requests);
    expect(stdout).toContainEqual('[INFO    ] login accepted user=alice eauth=pam ip=127.0.0.1');
    expect(out.log).toContain('[INFO    ] salt-apid is listening url=');

    const fileAccess = new RegExp(
      String.raw`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \[salt-apid\.access {1}:0 {3}\]\[INFO {4}\]\[${process.pid}\] 127\.0\.0\.1 - - \[`,
    );
    const file = await linesAfter(
      () => readOrEmpty(join(dir, 'api')),
      'requests start',
      requests,
      (line) => fileAccess.test(line),
    );
    expect(file.filter(fromRequests), file.join('\n')).toHaveLength(requests + 1);
    expect(out.log + (await readOrEmpty(join(dir, 'api')))).not.toContain(PASSWORD);
  });
});
