/**
 * One line of the audit log (`log_audit_file`): a JSON object with its fields always in this order,
 * those that do not apply left out (docs/decisions/0030-audit-log.md).
 */
import type { AuditJson } from './audit-value.js';

export type AuditKind = 'login' | 'login_failed' | 'logout' | 'run' | 'hook';

/** `refused`: auth, ACL, api_acl, allow_from, the throttle (401/403/429); `error`: anything else that failed. */
export type AuditOutcome = 'ran' | 'refused' | 'error';

/** Who acted: the eauth user and backend, null where the request does not say. */
export interface AuditWho {
  user: string | null;
  eauth: string | null;
}

/** Where the request came from and which it was. */
export interface AuditOrigin {
  /** The socket's peer address (never a header). */
  source: string;
  /** The client address a trusted proxy (`trusted_proxies`) put in X-Forwarded-For. */
  forwarded_for?: string;
  /** Fastify's request id. */
  request_id: string;
}

/** What a `run` record says about its chunk. */
export interface RunFields {
  client: AuditJson;
  fun: AuditJson;
  tgt?: AuditJson;
  tgt_type?: AuditJson;
  arg_count: number;
  args: AuditJson;
  /** The jobs the chunk started, as far as they are known. */
  jids?: string[];
}

/** What a `hook` record says about the delivery. */
export interface HookFields {
  tag: AuditJson;
  /** The `webhooks` rule the path fell under (its glob), or `event_hub`. */
  rule?: string;
  /** The rule's check: `salt`, `none`, `token`, `github`, `gitea`, `gitlab`, `event_hub`. */
  auth?: string;
}

/** A record as the code that saw the event describes it; the trail adds the time and the origin. */
export interface AuditEntry extends AuditWho, Partial<RunFields>, Partial<HookFields> {
  kind: AuditKind;
  outcome: AuditOutcome;
  /** The HTTP status of the answer, where one applies. */
  status?: number;
  /** Why, where the outcome and status do not say it all (`replayed`, `client went away`…). */
  reason?: string;
  duration_ms: number;
}

/** The statuses that mean the caller was refused (auth, ACL, allow_from, throttle). */
const REFUSALS: ReadonlySet<number> = new Set([401, 403, 429]);

/** `refused` for 401, 403 and 429, else `error`. */
export function failureOutcome(status: number): AuditOutcome {
  return REFUSALS.has(status) ? 'refused' : 'error';
}

export function isRefusal(status: number): boolean {
  return REFUSALS.has(status);
}

/** Milliseconds to the tenth, as a duration is written. */
export function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** The record's JSON line (with its newline), its fields in the documented order. */
export function auditLine(time: Date, origin: AuditOrigin, pid: number | undefined, entry: AuditEntry): string {
  const ordered = {
    time: time.toISOString(),
    kind: entry.kind,
    user: entry.user,
    eauth: entry.eauth,
    source: origin.source,
    forwarded_for: origin.forwarded_for,
    request_id: origin.request_id,
    pid,
    client: entry.client,
    fun: entry.fun,
    tgt: entry.tgt,
    tgt_type: entry.tgt_type,
    arg_count: entry.arg_count,
    args: entry.args,
    jids: entry.jids,
    tag: entry.tag,
    rule: entry.rule,
    auth: entry.auth,
    outcome: entry.outcome,
    status: entry.status,
    reason: entry.reason,
    duration_ms: roundMs(entry.duration_ms),
  };
  // JSON.stringify leaves out the fields that are undefined.
  return `${JSON.stringify(ordered)}\n`;
}
