/**
 * The soak's request load: logins and logouts, sync and async jobs, job lookups, large hooks and
 * `/stats`, each in a loop of its own with a short pause, every answer's status recorded with its time
 * so that a 5xx can be held against the fault windows.
 */
import { sleep } from '../events-client.js';

export interface Answer {
  /** When the request was sent and when it was answered (or failed), epoch ms. */
  sent: number;
  at: number;
  kind: string;
  status: number;
}

export class AnswerLog {
  readonly answers: Answer[] = [];
  /** Requests that got no HTTP answer at all (connection refused or reset, time-out). */
  readonly failures: Answer[] = [];

  record(kind: string, status: number, sent: number): void {
    (status === 0 ? this.failures : this.answers).push({ sent, at: Date.now(), kind, status });
  }
}

/** A session token shared by the loops, logged in again when the server forgot it. */
export class Session {
  private token: Promise<string> | undefined;

  constructor(
    private readonly base: string,
    private readonly log: AnswerLog,
  ) {}

  get(): Promise<string> {
    this.token ??= this.login();
    return this.token;
  }

  invalidate(): void {
    this.token = undefined;
  }

  private async login(): Promise<string> {
    for (;;) {
      const token = await login(this.base, this.log);
      if (token !== undefined) return token;
      await sleep(1_000);
    }
  }
}

const TIMEOUT_MS = 30_000;

async function call(log: AnswerLog, kind: string, url: string, init: RequestInit = {}): Promise<Response | undefined> {
  const sent = Date.now();
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
    log.record(kind, res.status, sent);
    return res;
  } catch {
    log.record(kind, 0, sent);
    return undefined;
  }
}

async function login(base: string, log: AnswerLog): Promise<string | undefined> {
  const res = await call(log, 'login', `${base}/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ username: 'saltdev', password: 'saltdev', eauth: 'pam' }),
  });
  if (res?.status !== 200) {
    await res?.body?.cancel();
    return undefined;
  }
  const body = (await res.json()) as { return: Array<{ token: string }> };
  return body.return[0]?.token;
}

export interface LoadContext {
  base: string;
  log: AnswerLog;
  session: Session;
  running: () => boolean;
}

async function lowstate(context: LoadContext, kind: string, chunk: Record<string, unknown>): Promise<unknown> {
  const token = await context.session.get();
  const res = await call(context.log, kind, `${context.base}/`, {
    method: 'POST',
    headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(chunk),
  });
  if (res?.status === 401) context.session.invalidate();
  return res?.ok === true ? res.json() : res?.body?.cancel();
}

/** A session of its own: log in, look around, log out. */
async function loginLogout(context: LoadContext): Promise<void> {
  const token = await login(context.base, context.log);
  if (token === undefined) return;
  const headers = { 'X-Auth-Token': token };
  await (await call(context.log, 'stats', `${context.base}/stats`, { headers }))?.body?.cancel();
  await (await call(context.log, 'logout', `${context.base}/logout`, { method: 'POST', headers }))?.body?.cancel();
}

async function asyncJob(context: LoadContext): Promise<void> {
  const answer = (await lowstate(context, 'local_async', { client: 'local_async', tgt: '*', fun: 'test.ping' })) as
    { return?: Array<{ jid?: string }> } | undefined;
  const jid = answer?.return?.[0]?.jid;
  if (jid === undefined) return;
  await sleep(500);
  const token = await context.session.get();
  const res = await call(context.log, 'jobs', `${context.base}/jobs/${jid}`, { headers: { 'X-Auth-Token': token } });
  await res?.body?.cancel();
}

/** A hook with a body of `bytes` (what CI systems post: large JSON payloads). */
async function hook(context: LoadContext, bytes: number): Promise<void> {
  const token = await context.session.get();
  const body = JSON.stringify({ payload: 'x'.repeat(bytes) });
  const res = await call(context.log, 'hook', `${context.base}/hook/soak/build`, {
    method: 'POST',
    headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' },
    body,
  });
  await res?.body?.cancel();
}

async function loop(context: LoadContext, pauseMs: number, step: () => Promise<unknown>): Promise<void> {
  while (context.running()) {
    await step();
    await sleep(pauseMs);
  }
}

/** Every loop of the load, running until `context.running()` says stop. */
export function startLoad(context: LoadContext): Array<Promise<void>> {
  return [
    loop(context, 500, () => loginLogout(context)),
    loop(context, 200, () => lowstate(context, 'local', { client: 'local', tgt: '*', fun: 'test.ping' })),
    loop(context, 300, () => asyncJob(context)),
    loop(context, 1_000, () => lowstate(context, 'runner', { client: 'runner', fun: 'manage.status' })),
    loop(context, 2_000, () => hook(context, 256 * 1024)),
    loop(context, 250, () => hook(context, 512)),
  ];
}
