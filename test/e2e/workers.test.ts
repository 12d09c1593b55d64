import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnCli, type CliProcess } from '../support/cli-process.js';
import { startDemo } from '../support/demo.js';
import { freePort } from '../support/net.js';
import { masterConfigText } from '../support/master-config.js';

/**
 * `workers: N`: several salt-apid processes behind one port, sharing sessions through the cache;
 * refused without `session_store: cache`.
 */

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The scrape token of every config here (`metrics_token_file`). */
const SCRAPE_TOKEN = 'workers-scrape-token-0123456789';

async function configFor(rest: string): Promise<{ file: string; port: number }> {
  const { demo, cleanup } = await startDemo();
  cleanups.push(cleanup);
  const dir = await mkdtemp(join(tmpdir(), 'workers-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const port = await freePort();
  const file = join(dir, 'master');
  await writeFile(join(dir, 'scrape-token'), SCRAPE_TOKEN);
  await writeFile(
    file,
    masterConfigText({
      retPort: demo.retPort,
      sockDir: demo.sockDir,
      port,
      top: [
        `cachedir: ${join(dir, 'cache')}`,
        `api_logfile: ${join(dir, 'api.log')}`,
        'netapi_enable_clients: [local]',
        'external_auth: {pam: {saltdev: [".*"]}}',
      ],
      rest: ['stats_disable_auth: true', `metrics_token_file: ${join(dir, 'scrape-token')}`, ...rest.split('\n')],
    }),
  );
  return { file, port };
}

function start(file: string): CliProcess {
  const proc = spawnCli(['--config', file, '--log-level', 'info']);
  cleanups.push(async () => {
    proc.child.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill(), 10_000);
    await proc.exited;
    clearTimeout(timer);
  });
  return proc;
}

/** The pid of the worker that answers a fresh connection (from /stats' `Cheroot HTTPServer <pid>`). */
function answeringPid(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/stats', agent: false, headers: { Accept: 'application/json' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          const key = Object.keys(JSON.parse(body) as object).find((name) => name.startsWith('Cheroot HTTPServer '));
          resolve(key?.slice('Cheroot HTTPServer '.length) ?? '');
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('workers', () => {
  it('serves one port from several processes, any of which accepts any session', async () => {
    const auditDir = await mkdtemp(join(tmpdir(), 'workers-audit-'));
    cleanups.push(() => rm(auditDir, { recursive: true, force: true }));
    const auditPath = join(auditDir, 'audit.log');
    const { file, port } = await configFor(`session_store: cache\nworkers: 2\nlog_audit_file: ${auditPath}`);
    const proc = start(file);
    await proc.listening();
    // Both workers listening.
    while (proc.stdout.split('salt-apid is listening').length - 1 < 2)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const pids = new Set<string>();
    for (let i = 0; i < 20 && pids.size < 2; i++) pids.add(await answeringPid(port));
    expect(pids.size).toBe(2);
    expect(pids.has(String(proc.child.pid))).toBe(false);
    const login = await fetch(`http://127.0.0.1:${port}/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', Connection: 'close' },
      body: JSON.stringify({ username: 'saltdev', password: 'saltdev', eauth: 'pam' }),
    });
    const session = login.headers.get('x-auth-token') ?? '';
    // Fresh connections go to both workers in turn: every one of them knows the session.
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/minions`, {
        headers: { 'X-Auth-Token': session, Accept: 'application/json', Connection: 'close' },
      });
      expect(res.status).toBe(200);
    }
    // Whichever worker answers a scrape, it tells the sum over both, and each one's own series apart.
    for (let i = 0; i < 4; i++) {
      const scrape = await fetch(`http://127.0.0.1:${port}/metrics`, {
        headers: { Authorization: `Bearer ${SCRAPE_TOKEN}`, Connection: 'close' },
      });
      const text = await scrape.text();
      expect(scrape.status, text).toBe(200);
      expect(text).toMatch(/^saltapid_http_requests_total\{route="\/minions[^"]*",method="GET",status="200"\} 6$/m);
      for (const worker of ['0', '1']) {
        expect(text).toMatch(new RegExp(`^process_start_time_seconds\\{worker="${worker}"\\} \\d+`, 'm'));
        expect(text).toMatch(new RegExp(`^saltapid_event_bus_connected\\{worker="${worker}"\\} 1$`, 'm'));
      }
    }
    proc.child.kill('SIGTERM');
    expect((await proc.exited).code).toBe(0);
    // Each worker appended its own whole lines to the one audit log; each record names its process.
    const records = (await readFile(auditPath, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { kind: string; pid: number });
    expect(records.filter((r) => r.kind === 'run')).toHaveLength(6);
    expect(new Set(records.map((r) => String(r.pid)))).toEqual(pids);
  }, 60_000);

  it('refuses workers without session_store: cache, saying why', async () => {
    const { file } = await configFor('workers: 2');
    const proc = start(file);
    expect((await proc.exited).code).toBe(2);
    expect(proc.stderr).toContain('workers: 2 needs session_store: cache');
  }, 30_000);
});
