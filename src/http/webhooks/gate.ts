import { isIPv4 } from 'node:net';
import type { WebhookRule } from '../../config/webhook-settings.js';
import { fnmatchMatcher, type NameMatcher } from '../../python/fnmatch.js';
import { ReplayWindow } from './replay.js';

/**
 * The `webhooks` rules at work on `/hook`: which rule a path falls under, whether the sender's
 * address may deliver, whether it is a replay, and how often each
 * happened per rule (counted by rule path and outcome: a bounded set of labels).
 */

/** Where refusals are logged (pino or Fastify's logger). */
export interface WarnLogger {
  warn(details: object, message: string): void;
}

export type WebhookOutcome = 'fired' | 'replayed' | 'rejected' | 'forbidden';

export interface MatchedRule {
  rule: WebhookRule;
  index: number;
}

/** The `verified` field of a fired event: which check the delivery passed, and its id. */
export interface VerifiedMark {
  auth: string;
  delivery: string | null;
}

export class WebhookGate {
  private readonly matchers: Array<{ rule: WebhookRule; matches: NameMatcher }>;
  private readonly replays = new ReplayWindow();
  private readonly counts = new Map<string, number>();

  constructor(
    rules: readonly WebhookRule[],
    private readonly logger: WarnLogger | undefined,
  ) {
    this.matchers = rules.map((rule) => ({ rule, matches: fnmatchMatcher(rule.path) }));
  }

  get enabled(): boolean {
    return this.matchers.length > 0;
  }

  /** The first rule whose glob matches `subPath` (the decoded path after `webhook_url`, no leading `/`). */
  ruleFor(subPath: string): MatchedRule | undefined {
    const index = this.matchers.findIndex(({ matches }) => matches(subPath));
    const matcher = index === -1 ? undefined : this.matchers[index];
    return matcher === undefined ? undefined : { rule: matcher.rule, index };
  }

  /** `allow_from` over the socket address (an IPv4-mapped IPv6 address counts as IPv4). */
  addressAllowed(rule: WebhookRule, address: string): boolean {
    if (rule.allowFrom === undefined) return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    const plain = mapped ?? address;
    return rule.allowFrom.check(plain, isIPv4(plain) ? 'ipv4' : 'ipv6');
  }

  /**
   * True for a delivery to fire now; false for a replay inside the rule's window. `replayKey` is
   * the digest of what the delivery's signature covers (delivery.ts), remembered per rule: the
   * same signed body delivered again to any path of the rule is a replay.
   */
  claim(matched: MatchedRule, replayKey: string | undefined): boolean {
    if (replayKey === undefined) return true;
    return this.replays.claim(`${matched.index}\n${replayKey}`, matched.rule.replayWindow);
  }

  /** Gives a claimed delivery back after firing it failed, so the sender's retry fires. */
  release(matched: MatchedRule, replayKey: string | undefined): void {
    if (replayKey !== undefined) this.replays.release(`${matched.index}\n${replayKey}`);
  }

  count(rule: WebhookRule, outcome: WebhookOutcome): void {
    this.countAs(rule.path, outcome);
  }

  /**
   * Counts a delivery under `label`: a rule's path glob, or for a hook under no rule the
   * `webhook_url` itself (a rule's glob never starts with `/`).
   */
  countAs(label: string, outcome: WebhookOutcome): void {
    const key = `${label}\n${outcome}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** Counts by rule path and outcome. */
  stats(): Array<{ rule: string; outcome: WebhookOutcome; count: number }> {
    return [...this.counts].map(([key, count]) => {
      const [rule = '', outcome] = key.split('\n');
      return { rule, outcome: outcome as WebhookOutcome, count };
    });
  }

  /** A refused delivery, logged with what an operator needs and nothing secret. */
  refuse(
    matched: MatchedRule,
    outcome: 'rejected' | 'forbidden',
    details: { path: string; reason: string; deliveryId: string | undefined; address: string },
  ): void {
    this.count(matched.rule, outcome);
    this.logger?.warn(
      {
        path: details.path,
        rule: matched.rule.path,
        auth: matched.rule.auth,
        reason: details.reason,
        delivery: details.deliveryId,
        remoteAddress: details.address,
      },
      outcome === 'forbidden' ? 'webhook delivery from an address outside allow_from' : 'webhook delivery refused',
    );
  }
}

/** Reads a whole request body as bytes, at most `limit` of them (the caller checked Content-Length). */
export async function readBodyBytes(payload: AsyncIterable<unknown>, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of payload) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += bytes.length;
    if (size > limit) throw new RangeError('the body is larger than it said');
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}
