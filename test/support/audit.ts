/**
 * The audit log (`log_audit_file`) as the tests read it: a LogFile in a folder of its own, its JSON
 * lines parsed, and a wait for the records a test expects (the file is written asynchronously).
 */
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { LogFile } from '../../src/log.js';
import { readOrEmpty } from './cli.js';
import { pollUntil } from './poll.js';

/** One record as written: the documented fields, plain JSON. */
export interface AuditRecord {
  time: string;
  kind: 'login' | 'login_failed' | 'logout' | 'run' | 'hook';
  user: string | null;
  eauth: string | null;
  source: string;
  forwarded_for?: string;
  request_id: string;
  pid?: number;
  client?: unknown;
  fun?: unknown;
  tgt?: unknown;
  tgt_type?: unknown;
  arg_count?: number;
  args?: unknown;
  jids?: string[];
  tag?: unknown;
  rule?: string;
  auth?: string;
  outcome: 'ran' | 'refused' | 'error';
  status?: number;
  reason?: string;
  duration_ms: number;
}

export interface AuditFile {
  path: string;
  sink: LogFile;
  /** The file's text as it is now. */
  text(): Promise<string>;
  records(): Promise<AuditRecord[]>;
  /** The records `select` picks, once there are at least `count` of them (else what there is, after the wait). */
  waitFor(select: (record: AuditRecord) => boolean, count?: number): Promise<AuditRecord[]>;
  close(): Promise<void>;
}

/** An audit log file in a folder of its own; `close()` removes both. */
export function auditFile(): AuditFile {
  const dir = mkdtempSync(join(tmpdir(), 'salt-apid-audit-'));
  const path = join(dir, 'audit.log');
  const sink = new LogFile(path, 'log_audit_file', { maxPendingBytes: 4 * 1024 * 1024, name: 'audit log' });
  const text = (): Promise<string> => readOrEmpty(path);
  const records = async (): Promise<AuditRecord[]> =>
    (await text())
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as AuditRecord);
  return {
    path,
    sink,
    text,
    records,
    async waitFor(select, count = 1) {
      const picked = async (): Promise<AuditRecord[]> => (await records()).filter(select);
      return pollUntil(picked, (found) => found.length >= count, { timeoutMs: 10_000, intervalMs: 20 });
    },
    async close() {
      await sink.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * An audit file for all the tests of a file, removed afterAll. Call it before apiForFile: after-all
 * hooks run last registered first, so the API has stopped writing when the file goes.
 */
export function auditFileForFile(): AuditFile {
  const file = auditFile();
  afterAll(() => file.close());
  return file;
}

/** Every text of `texts` that the file holds (a test expects none). */
export async function leakedInto(file: AuditFile, texts: readonly string[]): Promise<string[]> {
  const content = await file.text();
  return texts.filter((text) => content.includes(text));
}

/** Users of the demo master for the audit tests, each with a password no other text contains. */
export const AUDIT_USERS = {
  alice: 'Pw-alice-4f1d9a7c',
  bob: 'Pw-bob-8e2b6c13',
  carol: 'Pw-carol-0a9d55e2',
  dave: 'Pw-dave-77c3e0b4',
  erin: 'Pw-erin-3b8a91f6',
  mallory: 'Pw-mallory-c6e2d801',
} as const;

export type AuditUser = keyof typeof AUDIT_USERS;

/** The demo master's options: the audit users (and saltdev), who may run anything. */
export const AUDIT_DEMO = {
  users: Object.fromEntries(
    [...Object.entries(AUDIT_USERS), ['saltdev', 'saltdev']].map(([name, password]) => [name, { password }]),
  ),
  externalAuth: {
    pam: Object.fromEntries(
      [...Object.keys(AUDIT_USERS), 'saltdev'].map((name) => [name, ['.*', '@wheel', '@runner', '@jobs']]),
    ),
  },
};

/** The login body of an audit user. */
export const credentialsOf = (user: AuditUser): Record<string, string> => ({
  username: user,
  password: AUDIT_USERS[user],
  eauth: 'pam',
});
