/**
 * The abuse section of `npm run bench`: what an attacker's traffic costs salt-apid, and whether
 * the other clients notice. Each scenario measures a probe client (GET / or a session route)
 * before and during the attack.
 */
import { connect, type Socket } from 'node:net';
import { openEventsClient, percentile, sleep, stamp } from './events-client.js';
import type { Target } from './target.js';
import { markdownTable } from './markdown-table.js';

export interface AbuseRow {
  scenario: string;
  outcome: string;
  seconds: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  probeP99BeforeMs: number;
  probeP99DuringMs: number;
}

/** Sequential GET / requests until `until` resolves (or `count` of them when no promise is given). */
async function probe(base: string, until: Promise<unknown> | number): Promise<number> {
  const latencies: number[] = [];
  let done = typeof until === 'number';
  if (typeof until !== 'number') void until.finally(() => (done = true));
  const limit = typeof until === 'number' ? until : Infinity;
  while (latencies.length < limit && (!done || latencies.length === 0)) {
    const started = performance.now();
    await (await fetch(`${base}/`)).arrayBuffer();
    latencies.push(performance.now() - started);
    if (typeof until !== 'number') await sleep(5);
  }
  latencies.sort((a, b) => a - b);
  return percentile(latencies, 99);
}

/** The message of an error answer: salt-api's HTML page (`<p>…</p>`) or its JSON envelope. */
function errorMessage(body: string): string {
  const page = /<p>([^<]*)<\/p>/.exec(body);
  return page?.[1] ?? body.slice(0, 60);
}

/** The classic "billion laughs": 505 bytes of YAML that expand to 9^9 strings. */
export function yamlBomb(): string {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  const names = 'abcdefghi';
  for (let i = 1; i < names.length; i++) {
    const prev = names[i - 1]!;
    lines.push(`${names[i]!}: &${names[i]!} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  return `${lines.join('\n')}\n`;
}

async function yamlBombScenario(target: Target): Promise<AbuseRow> {
  const probeBefore = await probe(target.base, 200);
  const rssBefore = await target.rss();
  const started = performance.now();
  const attack = fetch(`${target.base}/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-yaml', Accept: 'application/json' },
    body: yamlBomb(),
    signal: AbortSignal.timeout(60_000),
  }).then(async (res) => ({ status: res.status, body: await res.text() }));
  const [probeDuring, result] = await Promise.all([probe(target.base, attack), attack]);
  const seconds = (performance.now() - started) / 1000;
  return {
    scenario: `YAML alias bomb (${yamlBomb().length} bytes) POST /login`,
    outcome: `${result.status} ${errorMessage(result.body)}`,
    seconds,
    rssBeforeMb: rssBefore,
    rssAfterMb: await target.rss(),
    probeP99BeforeMs: probeBefore,
    probeP99DuringMs: probeDuring,
  };
}

async function sessionWorks(base: string, token: string): Promise<boolean> {
  const res = await fetch(`${base}/stats`, { headers: { 'X-Auth-Token': token, Accept: 'application/json' } });
  await res.arrayBuffer();
  return res.status === 200;
}

/** The demo's user with no rights at all (eauth `auto` accepts any password). */
const NO_RIGHTS_USER = { username: 'nobody', password: 'x', eauth: 'auto' };

async function loginFloodScenario(target: Target, logins: number): Promise<AbuseRow> {
  const victim = await target.login();
  const probeBefore = await probe(target.base, 200);
  const rssBefore = await target.rss();
  const started = performance.now();
  let next = 0;
  let failed = 0;
  const worker = async (): Promise<void> => {
    while (next < logins) {
      next++;
      const res = await fetch(`${target.base}/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(NO_RIGHTS_USER),
      });
      await res.arrayBuffer();
      if (res.status !== 200) failed++;
    }
  };
  const flood = Promise.all(Array.from({ length: 16 }, worker));
  const [probeDuring] = await Promise.all([probe(target.base, flood), flood]);
  const seconds = (performance.now() - started) / 1000;
  const survived = await sessionWorks(target.base, victim);
  return {
    scenario: `${logins.toLocaleString('en-US')} logins by one no-rights user`,
    outcome: `${logins - failed} logged in; another user's session ${survived ? 'still valid' : 'LOGGED OUT'}`,
    seconds,
    rssBeforeMb: rssBefore,
    rssAfterMb: await target.rss(),
    probeP99BeforeMs: probeBefore,
    probeP99DuringMs: probeDuring,
  };
}

/** An /events client that never reads: the request is written, the socket paused for good. */
function stuckEventsClient(target: Target, token: string): Promise<Socket> {
  const path = `${new URL(target.base).pathname.replace(/\/$/, '')}/events`;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port }, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${target.host}\r\nX-Auth-Token: ${token}\r\n\r\n`);
      socket.pause();
      resolve(socket);
    });
    socket.on('error', reject);
  });
}

async function fireHooks(base: string, token: string, count: number, padding: string): Promise<void> {
  const headers = { 'Content-Type': 'application/json', 'X-Auth-Token': token };
  for (let i = 0; i < count; i++) {
    const body = JSON.stringify({ sent: stamp(), i, padding });
    await (await fetch(`${base}/hook/bench/abuse`, { method: 'POST', headers, body })).arrayBuffer();
    if (i % 20 === 19) await sleep(10);
  }
}

async function droppedSlow(base: string, token: string): Promise<number> {
  const res = await fetch(`${base}/stats`, { headers: { 'X-Auth-Token': token, Accept: 'application/json' } });
  const stats = (await res.json()) as { 'salt-apid'?: { streams?: { droppedSlow?: number } } };
  return stats['salt-apid']?.streams?.droppedSlow ?? 0;
}

async function stuckStreamsScenario(target: Target, stuck: number): Promise<AbuseRow> {
  const token = await target.login();
  const tag = 'salt/netapi/hook/bench/abuse';
  const padding = 'x'.repeat(2048);
  const events = 1_500;
  const calm = await openEventsClient(target, token, tag);
  await fireHooks(target.base, token, 100, padding);
  await sleep(500);
  const before = [...calm.latencies].sort((a, b) => a - b);
  calm.close();
  const rssBefore = await target.rss();
  const dropsBefore = await droppedSlow(target.base, token);

  const started = performance.now();
  const sockets: Socket[] = [];
  for (let i = 0; i < stuck; i += 100) {
    const batch = Array.from({ length: Math.min(100, stuck - i) }, () => stuckEventsClient(target, token));
    sockets.push(...(await Promise.all(batch)));
  }
  const reader = await openEventsClient(target, token, tag);
  await fireHooks(target.base, token, events, padding);
  const deadline = Date.now() + 10_000;
  while (reader.latencies.length < events && Date.now() < deadline) await sleep(50);
  const seconds = (performance.now() - started) / 1000;
  const rssAfter = await target.rss();
  const during = [...reader.latencies].sort((a, b) => a - b);
  reader.close();
  const dropped = (await droppedSlow(target.base, token)) - dropsBefore;
  for (const socket of sockets) socket.destroy();
  return {
    scenario: `${stuck.toLocaleString('en-US')} /events clients that never read, ${events} events of 2 KB`,
    outcome: `reading client got ${during.length} of ${events}; ${dropped} stuck clients cut off`,
    seconds,
    rssBeforeMb: rssBefore,
    rssAfterMb: rssAfter,
    probeP99BeforeMs: percentile(before, 99),
    probeP99DuringMs: percentile(during, 99),
  };
}

export async function runAbuse(target: Target): Promise<AbuseRow[]> {
  const rows: AbuseRow[] = [];
  for (const scenario of [
    () => yamlBombScenario(target),
    () => loginFloodScenario(target, 10_000),
    () => stuckStreamsScenario(target, 2_000),
  ]) {
    const row = await scenario();
    process.stderr.write(`${row.scenario}: ${row.outcome} (${row.seconds.toFixed(1)} s)\n`);
    rows.push(row);
  }
  return rows;
}

export function abuseTable(rows: AbuseRow[]): string {
  return markdownTable(
    ['attack', 'outcome', 'seconds', 'RSS MB before → after', 'other clients p99 ms before → during'],
    rows,
    (r) => [
      r.scenario,
      r.outcome,
      r.seconds.toFixed(2),
      `${r.rssBeforeMb.toFixed(0)} → ${r.rssAfterMb.toFixed(0)}`,
      `${r.probeP99BeforeMs.toFixed(1)} → ${r.probeP99DuringMs.toFixed(1)}`,
    ],
  );
}
