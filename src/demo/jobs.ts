import { isSaltMap, type SaltMap, type SaltValue } from '../salt/codec/values.js';
import { jidToTime } from './clock.js';
import { emptyDict } from '../dict.js';

/**
 * The master job cache (`local_cache` returner): each published job's load, the minions it
 * targeted, and every minion's return, formatted as the `jobs.*` runners report them.
 */

export interface JobLoad extends SaltMap {
  fun: SaltValue;
  arg: SaltValue;
  tgt: SaltValue;
  tgt_type: SaltValue;
  user: SaltValue;
  metadata?: SaltValue;
}

export interface MinionResult extends SaltMap {
  return: SaltValue;
  retcode?: SaltValue;
  success?: SaltValue;
  out?: SaltValue;
}

interface JobEntry {
  load: JobLoad;
  minions: string[];
  results: Map<string, MinionResult>;
}

/** Oldest jobs are forgotten beyond this many (Salt expires them after keep_jobs hours). */
const MAX_JOBS = 10_000;

export class JobCache {
  private readonly jobs = new Map<string, JobEntry>();

  save(jid: string, load: JobLoad, minions: string[]): void {
    this.jobs.set(jid, { load, minions, results: new Map() });
    if (this.jobs.size > MAX_JOBS) {
      const oldest = this.jobs.keys().next().value;
      if (oldest !== undefined) this.jobs.delete(oldest);
    }
  }

  /** Stores a minion return (the first one wins, as `local_cache` drops replays). */
  addResult(jid: string, minionId: string, ret: SaltMap): void {
    const job = this.jobs.get(jid);
    if (job === undefined || job.results.has(minionId)) return;
    const result: MinionResult = { return: ret['return'] };
    for (const key of ['retcode', 'success', 'out'] as const) if (Object.hasOwn(ret, key)) result[key] = ret[key];
    job.results.set(minionId, result);
  }

  has(jid: string): boolean {
    return this.jobs.has(jid);
  }

  jids(): string[] {
    return [...this.jobs.keys()].sort();
  }

  /** `_format_jid_instance` of a cached job, or the error record for an unknown jid. */
  formatJob(jid: string, withMinions = false): SaltMap {
    const job = this.jobs.get(jid);
    if (job === undefined)
      return { Error: 'Cannot contact returner or no job with this jid', StartTime: jidToTime(jid) };
    return formatJidInstance(jid, job.load, withMinions ? job.minions : undefined);
  }

  /** `get_jid`: every minion's stored result. */
  results(jid: string): SaltMap {
    const out = emptyDict<SaltValue>();
    for (const [id, result] of this.jobs.get(jid)?.results ?? []) out[id] = { ...result };
    return out;
  }

  metadataMatches(jid: string, search: SaltValue): boolean {
    const metadata = this.jobs.get(jid)?.load.metadata;
    if (!isSaltMap(search) || !isSaltMap(metadata)) return false;
    return Object.entries(search).some(
      ([k, v]) => Object.hasOwn(metadata, k) && JSON.stringify(metadata[k]) === JSON.stringify(v),
    );
  }
}

/** `_format_jid_instance`: a job load (or a minion's running-job record) as the runners show it. */
export function formatJidInstance(jid: string, job: SaltMap, minions?: string[]): SaltMap {
  const out: SaltMap = {
    Function: job['fun'] ?? 'unknown-function',
    Arguments: Array.isArray(job['arg']) ? job['arg'] : [],
    Target: job['tgt'] ?? 'unknown-target',
    'Target-type': job['tgt_type'] ?? 'list',
    User: job['user'] ?? 'root',
  };
  if (job['metadata'] !== undefined) out['Metadata'] = job['metadata'];
  if (minions !== undefined) out['Minions'] = [...minions];
  out['StartTime'] = jidToTime(jid);
  return out;
}
