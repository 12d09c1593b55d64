import { readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CONFIG_FILE } from '../../src/config/cli-args.js';
import { SALTDEV } from '../support/api.js';
import { cliCleanups } from '../support/cli.js';
import { startDemo } from '../support/demo.js';
import { spawnCli, type CliProcess } from '../support/cli-process.js';
import { freePort } from '../support/net.js';
import { pollUntil } from '../support/poll.js';
import type { DemoMaster } from '../../src/demo/demo-master.js';

/**
 * The stop of a real salt-apid process: SIGTERM waits for requests in flight, but at most
 * `shutdown_timeout` seconds; a second SIGTERM or SIGINT stops it at once.
 */

const { tempDir, onCleanup } = cliCleanups();

/** A master config for a demo master run here: config/demo.conf, pointed at it, plus `extra` for rest_cherrypy. */
async function demoConfig(extra: string): Promise<{ file: string; demo: DemoMaster }> {
  const { demo, cleanup } = await startDemo();
  onCleanup(cleanup);
  const dir = await tempDir();
  const demoConf = (await readFile(DEMO_CONFIG_FILE, 'utf8')).replace(
    '  disable_ssl: true\n',
    `  disable_ssl: true\n${extra}`,
  );
  const file = join(dir, 'master');
  const logFile = join(dir, 'api.log');
  await writeFile(
    file,
    `interface: 127.0.0.1\nret_port: ${demo.retPort}\nsock_dir: ${demo.sockDir}\napi_logfile: ${logFile}\n${demoConf}`,
  );
  return { file, demo };
}

interface Started {
  proc: CliProcess;
  url: string;
  demo: DemoMaster;
}

async function start(extra = ''): Promise<Started> {
  const { file, demo } = await demoConfig(extra);
  const proc = spawnCli(['--config', file, '--port', String(await freePort()), '--log-level', 'info']);
  onCleanup(async () => proc.kill());
  return { proc, url: await proc.listening(), demo };
}

/** Whether a new connection to `url`'s port is refused (the server stopped listening). */
function refusesConnections(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** Logs in and starts a minute-long test.sleep; resolves once the request is in flight. */
async function slowRequest({ url, demo }: Started): Promise<{ outcome: Promise<string> }> {
  const login = await fetch(`${url}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(SALTDEV),
  });
  const token = ((await login.json()) as { return: [{ token: string }] }).return[0].token;
  const outcome = fetch(`${url}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'X-Auth-Token': token },
    body: JSON.stringify([{ client: 'local', tgt: 'minion-1', fun: 'test.sleep', arg: [60] }]),
  }).then(
    (response) => `answered ${response.status}`,
    () => 'cut off',
  );
  // In flight once its job is published: a busy machine may take longer than any fixed pause.
  await pollUntil(
    () => demo.requestCount('publish'),
    (count) => count >= 1,
    { intervalMs: 20 },
  );
  expect(demo.requestCount('publish')).toBe(1);
  return { outcome };
}

// Each test starts a process that compiles salt-apid from source as it loads: slow on a busy machine.
describe('stopping salt-apid', { timeout: 60_000 }, () => {
  it('SIGTERM with nothing in flight exits 0 at once', async () => {
    const { proc } = await start();
    const sent = Date.now();
    proc.child.kill('SIGTERM');
    const exit = await proc.exited;
    expect(exit.code).toBe(0);
    expect(exit.at - sent).toBeLessThan(5_000);
  });

  it('a request longer than shutdown_timeout is cut off at the deadline and the process exits', async () => {
    const started = await start('  shutdown_timeout: 2\n');
    const { proc } = started;
    const slow = await slowRequest(started);
    const sent = Date.now();
    proc.child.kill('SIGTERM');
    const exit = await proc.exited;
    const took = exit.at - sent;
    expect(took).toBeGreaterThanOrEqual(1_900);
    expect(took).toBeLessThan(8_000);
    expect(exit.code).toBe(0);
    expect(await slow.outcome).toBe('cut off');
    expect(proc.stdout).toContain('shutdown_timeout reached');
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('a second signal (%s) stops at once', async (second) => {
    const started = await start();
    const { proc } = started;
    const slow = await slowRequest(started);
    proc.child.kill('SIGTERM');
    // The first signal taken (no more connections accepted) before the second is sent, however busy the
    // machine; the process still waits for the slow request.
    expect(await pollUntil(() => refusesConnections(started.url), Boolean, { intervalMs: 20 })).toBe(true);
    expect(proc.child.exitCode).toBeNull();
    const sent = Date.now();
    proc.child.kill(second);
    const exit = await proc.exited;
    expect(exit.at - sent).toBeLessThan(3_000);
    expect(exit.code).toBe(1);
    expect(proc.stderr).toContain(`${second} again: stopping at once`);
    expect(await slow.outcome).toBe('cut off');
  });
});
