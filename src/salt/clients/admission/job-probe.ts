import { isSaltMap } from '../../codec/values.js';
import type { SaltEvent } from '../../event-frame.js';
import type { LivenessCheck } from '../local/liveness.js';
import { livenessAnswer, returnId } from '../local/job-watch.js';

/**
 * Reads a sync job's liveness checks for the admission (admission.ts, docs/decisions/0027): both
 * the probes the admission asks for while jobs wait, and LocalClient's own checks (job-watch.ts).
 * - An answer later than the admission's `lateCheckMs` after its check went out is a sign that the
 *   master is behind: a minion answers `saltutil.running` or `find_job` at once, so the time is the
 *   master's, whatever the job itself runs.
 * - When every minion the job still waits for answered one check in time, listing the job, the job
 *   is in its minions' hands: it costs the master nothing until it returns, and gives its place back.
 *   In time means not late, and quick against the job's own age: a minion lists a job until the
 *   master took its return, so an answer that took a quarter of the job's age or more could have
 *   waited in the master's queue as long as the job's return does.
 */

export interface ProbeTarget {
  jid: string;
  /** When the job's publish was sent (performance.now()). */
  publishedAt: number;
  /** Whether the job still waits for this minion... */
  isPending: (id: string) => boolean;
  /** ...and for how many. */
  pendingCount: () => number;
  /** Whether an answer at `answeredAt` to a check sent at `sentAt` is late (and counts as a sign). */
  late: (sentAt: number, answeredAt: number) => boolean;
  /** Every pending minion was seen running the job. */
  seenOnMinions: () => void;
}

/**
 * One check's answers as they come: the pending minions that answered in time, listing the job.
 * A minion leaves the set when its return arrives, so the set is always among the pending ones
 * and "all of them" is a comparison of sizes: an answer costs the same for 5 minions or 10,000.
 */
class Reading {
  readonly running = new Set<string>();
  constructor(readonly check: LivenessCheck) {}
}

export class JobProbe {
  /** The latest probe, and the watch's own latest check (LocalClient's). */
  private probed: Reading | undefined;
  private watched: Reading | undefined;
  private sending = false;
  private seen = false;

  constructor(private readonly target: ProbeTarget) {}

  /** Whether a check showed every pending minion running the job. */
  get seenRunning(): boolean {
    return this.seen;
  }

  /** Sends a probe through `send` (a liveness check to the pending minions) unless one is on its way. */
  probe(send: () => Promise<LivenessCheck | null>): void {
    if (this.sending || this.seen) return;
    this.sending = true;
    send().then(
      (check) => {
        this.sending = false;
        this.probed = check === null ? undefined : new Reading(check);
      },
      () => {
        this.sending = false;
      },
    );
  }

  /** Minion `id` returned: it no longer counts among the pending minions seen running the job. */
  noteReturn(id: string): void {
    this.probed?.running.delete(id);
    this.watched?.running.delete(id);
  }

  /** The watch's latest check (job-watch.ts), read as well as the probes. */
  follow(check: LivenessCheck | null): void {
    if (check?.jid !== this.watched?.check.jid) this.watched = check === null ? undefined : new Reading(check);
  }

  /**
   * Whether every minion in the reading is still pending (one the watch stopped expecting without a
   * return, when saltutil failed there, leaves here): run once the sizes match, so linear in all.
   */
  private allPending(reading: Reading): boolean {
    for (const id of reading.running) if (!this.target.isPending(id)) reading.running.delete(id);
    return reading.running.size > 0 && reading.running.size >= this.target.pendingCount();
  }

  /** An event of job `jid` (any of the job's stream): an answer to a check being read, or nothing. */
  onEvent(jid: string, event: SaltEvent, now = performance.now()): void {
    if (this.seen || !isSaltMap(event.data)) return;
    for (const reading of [this.probed, this.watched]) {
      if (reading?.check.jid !== jid) continue;
      // Every answer's time is the master's; only this job's pending minions' lists are read.
      const id = returnId(event.data);
      if (id === undefined || this.target.late(reading.check.sentAt, now) || !this.target.isPending(id)) continue;
      const answer = livenessAnswer(reading.check, this.target.jid, event.data);
      if (answer?.runs !== true) continue;
      if ((now - reading.check.sentAt) * 4 > now - this.target.publishedAt) continue;
      reading.running.add(answer.id);
      if (reading.running.size >= this.target.pendingCount() && this.allPending(reading)) {
        this.seen = true;
        this.target.seenOnMinions();
        return;
      }
    }
  }
}
