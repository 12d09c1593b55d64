/**
 * `run` records: one per lowstate chunk a request runs, written when the chunk ends, on every path
 * that runs chunks (`/`, `/run`, `/token`, `/minions`, `/jobs`, `/keys`, the formatted-events
 * WebSocket), and one per chunk of a request refused before any of its chunks ran
 * (docs/decisions/0030-audit-log.md).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TokenRecord } from '../../salt/clear-commands.js';
import { isSaltMap, type SaltMap, type SaltValue } from '../../salt/codec/values.js';
import type { LowstateRunner, RunOptions } from '../../salt/clients/netapi.js';
import { errorStatus } from '../transport/errors.js';
import { failureOutcome, isRefusal, type AuditEntry, type AuditWho } from './audit-record.js';
import type { AuditTrail } from './audit-trail.js';
import { chunkSecrets, chunkWho, presentedSecrets, runFields } from './chunk-fields.js';

/** Jids written per chunk at most (a batch starts two jobs; nothing starts more). */
const MAX_JIDS = 16;

/** Chunks of a refused request written at most: a refusal costs the caller nothing, so neither may its record. */
export const MAX_REFUSED_CHUNKS = 16;

/** How a chunk ended: its outcome, and the status its failure is answered with. */
function ending(error: unknown, signal: AbortSignal | undefined): Pick<AuditEntry, 'outcome' | 'status' | 'reason'> {
  if (error === undefined) return { outcome: 'ran' };
  if (signal?.aborted === true) return { outcome: 'error', reason: 'client went away' };
  const status = errorStatus(error);
  return { outcome: failureOutcome(status), status };
}

/**
 * The user of a chunk that named only a Salt token and ran (so the master took the token): the
 * record TokenChecks keeps or asks for. Unknown (null) when it cannot be had.
 */
async function tokenOwner(app: FastifyInstance, chunk: SaltMap): Promise<AuditWho | undefined> {
  const token = chunk['token'];
  if (typeof token !== 'string') return undefined;
  try {
    const record = await app.tokenChecks.honoured(token);
    return record === null ? undefined : chunkWho(chunk, record);
  } catch {
    return undefined;
  }
}

class ChunkAudit {
  private readonly jids: string[] = [];
  private readonly started = performance.now();

  constructor(
    private readonly app: FastifyInstance,
    private readonly trail: AuditTrail,
    private readonly request: FastifyRequest,
    private readonly chunk: SaltMap,
    private readonly token: TokenRecord | undefined,
  ) {}

  readonly onJid = (jid: string): void => {
    if (this.jids.length < MAX_JIDS) this.jids.push(jid);
  };

  /** Writes the record; for a chunk that ran on a bare Salt token, once its owner is known. */
  end(error: unknown, signal: AbortSignal | undefined): void {
    const duration = performance.now() - this.started;
    const secrets = chunkSecrets(this.chunk, this.token, presentedSecrets(this.request));
    const entry: AuditEntry = {
      kind: 'run',
      ...chunkWho(this.chunk, this.token),
      ...runFields(this.chunk, secrets),
      ...(this.jids.length > 0 && { jids: [...this.jids] }),
      ...ending(error, signal),
      duration_ms: duration,
    };
    if (entry.user !== null || error !== undefined || this.token !== undefined) {
      this.trail.write(this.request, entry);
      return;
    }
    void tokenOwner(this.app, this.chunk).then((who) => this.trail.write(this.request, { ...entry, ...who }));
  }
}

/**
 * `runner` with a `run` record for every chunk it runs. `token`: the Salt token the chunks run with
 * (the session's, the socket's), whose user the records name. Without an audit log, `runner` itself.
 */
export function auditedRunner(
  app: FastifyInstance,
  request: FastifyRequest,
  runner: LowstateRunner,
  token?: TokenRecord,
): LowstateRunner {
  const trail = app.audit;
  if (trail === undefined) return runner;
  return {
    get masterAvailable() {
      return runner.masterAvailable;
    },
    run: async (chunk: SaltMap, options: RunOptions = {}): Promise<SaltValue[]> => {
      trail.handled(request);
      const audit = new ChunkAudit(app, trail, request, chunk, token);
      const onJid = (jid: string): void => {
        audit.onJid(jid);
        options.onJid?.(jid);
      };
      try {
        const values = await runner.run(chunk, { ...options, onJid });
        audit.end(undefined, options.signal);
        return values;
      } catch (error) {
        audit.end(error, options.signal);
        throw error;
      }
    },
  };
}

/** The chunks a refused request asked for, as far as its body says (nothing for a body not read). */
function requestedChunks(body: unknown): SaltMap[] {
  const items: unknown[] = Array.isArray(body) ? body : [body];
  return items.filter((item): item is SaltMap => isSaltMap(item) && Object.keys(item).length > 0);
}

/** Records the chunks of a request refused (401, 403, 429) before any of them ran. */
function recordRefusal(trail: AuditTrail, request: FastifyRequest, reply: FastifyReply, error: unknown): void {
  if (trail.isHandled(request)) return;
  const status = errorStatus(error);
  if (!isRefusal(status)) return;
  const token = request.saltSession?.session?.token;
  const presented = presentedSecrets(request);
  const chunks = requestedChunks(request.body);
  // A request refused before its body was read (the session gate) is one record without a chunk.
  const entries = chunks.length === 0 ? [{}] : chunks.slice(0, MAX_REFUSED_CHUNKS);
  for (const chunk of entries) {
    trail.write(request, {
      kind: 'run',
      ...chunkWho(chunk, token),
      ...runFields(chunk, chunkSecrets(chunk, token, presented)),
      outcome: 'refused',
      status,
      reason: 'refused before any chunk ran',
      duration_ms: reply.elapsedTime,
    });
  }
}

/**
 * The route options of a route that runs lowstate: an `onError` hook that records a refusal of the
 * request before any chunk ran (the session gate, `authorized_ips`, `api_acl`, the login throttle, a
 * token that is not one). Nothing without an audit log.
 */
export function auditsRuns(app: FastifyInstance): {
  onError?: (request: FastifyRequest, reply: FastifyReply, error: FastifyError) => Promise<void>;
} {
  const trail = app.audit;
  if (trail === undefined) return {};
  return { onError: async (request, reply, error) => recordRefusal(trail, request, reply, error) };
}
