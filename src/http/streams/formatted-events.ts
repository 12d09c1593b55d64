import { dictFrom, emptyDict, safeText } from '../../dict.js';
import type { SaltMap, SaltValue } from '../../salt/codec/values.js';
import type { SaltEvent } from '../../salt/event-frame.js';
import { jsonDumps } from '../../python/json-dumps.js';

/**
 * The live minions/jobs view that `/ws?format_events` (and rest_tornado's `/formatted_events`)
 * builds from the bus, as salt-api's `SaltInfo` does (salt/netapi/rest_tornado/event_processor.py;
 * docs/routes.md "GET /ws"): each event updates the view and yields the JSON frames to send. Unlike
 * salt-api the job table is bounded, so a connection left open for weeks does not grow without
 * limit. Minion ids and jids come from event tags and data that any minion or runner user can
 * choose (`__proto__`, `constructor`): the view keeps them in Maps and writes them out as
 * null-prototype objects, never as keys of an ordinary object.
 */
export interface FormattedEventsOptions {
  /** rest_cherrypy sends `minions` as a list of `{…info, id}`; rest_tornado as a map by id. */
  minionsAs: 'list' | 'map';
  /** Starts `grains.items` on minions that appeared (presence events). */
  refreshGrains?: (minionIds: string[]) => void;
  /** Jobs kept in the view; the oldest are dropped beyond this (default 1000). */
  maxJobs?: number;
}

interface JobView {
  jid?: SaltValue;
  start_time?: SaltValue;
  minions: Map<string, SaltMap>;
  fun?: SaltValue;
  tgt?: SaltValue;
  tgt_type?: SaltValue;
  state?: string;
}

export class FormattedEventsView {
  private jobs = new Map<string, JobView>();
  private minions = new Map<string, SaltMap>();
  private readonly maxJobs: number;

  constructor(private readonly options: FormattedEventsOptions) {
    this.maxJobs = options.maxJobs ?? 1_000;
  }

  /** The frames (JSON texts) this event produces; none for events the view ignores. */
  process(event: SaltEvent): string[] {
    const parts = event.tag.split('/');
    if (parts.length < 2) return [];
    const data = event.data;
    const frames: string[] = [];
    if (parts[1] === 'job' && parts.length === 4 && parts[3] === 'new') {
      frames.push(this.newJob(data));
      if (data['fun'] === 'grains.items') this.minions.clear();
    } else if (parts[1] === 'job' && parts.length === 5 && parts[3] === 'ret') {
      const jid = parts[2]!;
      const id = parts[4]!;
      frames.push(this.jobReturn(jid, id, data));
      if (data['fun'] === 'grains.items') frames.push(this.grainsReturn(id, data));
    } else if (parts[1] === 'key') {
      frames.push(this.keyEvent(data));
    } else if (parts[1] === 'presence') {
      const frame = this.presence(data);
      if (frame) frames.push(frame);
    }
    return frames;
  }

  private newJob(data: SaltMap): string {
    const minions = new Map<string, SaltMap>();
    const ids = Array.isArray(data['minions']) ? data['minions'] : [];
    for (const id of ids) minions.set(safeText(id), { success: false });
    const jid = safeText(data['jid']);
    this.jobs.delete(jid);
    this.jobs.set(jid, {
      jid: data['jid'],
      start_time: data['_stamp'],
      minions,
      fun: data['fun'],
      tgt: data['tgt'],
      tgt_type: data['tgt_type'],
      state: 'running',
    });
    this.trimJobs();
    return this.jobsFrame();
  }

  private jobReturn(jid: string, id: string, data: SaltMap): string {
    let job = this.jobs.get(jid);
    if (!job) {
      job = { minions: new Map() };
      this.jobs.set(jid, job);
      this.trimJobs();
    }
    let minion = job.minions.get(id);
    if (minion === undefined) {
      minion = {};
      job.minions.set(id, minion);
    }
    minion['return'] = data['return'];
    minion['retcode'] = data['retcode'];
    minion['success'] = data['success'];
    if ([...job.minions.values()].every((m) => m['success'] === true)) job.state = 'complete';
    return this.jobsFrame();
  }

  private grainsReturn(id: string, data: SaltMap): string {
    const minion = this.minions.get(id) ?? {};
    minion['grains'] = data['return'];
    this.minions.set(id, minion);
    return this.minionsFrame();
  }

  private keyEvent(data: SaltMap): string {
    const id = safeText(data['id']);
    if (data['act'] === 'delete') this.minions.delete(id);
    else if (data['act'] === 'accept' && !this.minions.has(id)) this.minions.set(id, {});
    return this.minionsFrame();
  }

  private presence(data: SaltMap): string | undefined {
    const present = new Set((Array.isArray(data['present']) ? data['present'] : []).map(safeText));
    let changed = false;
    for (const id of [...this.minions.keys()]) {
      if (!present.has(id)) {
        this.minions.delete(id);
        changed = true;
      }
    }
    const appeared = [...present].filter((id) => !this.minions.has(id));
    if (appeared.length > 0) {
      changed = true;
      this.options.refreshGrains?.(appeared);
    }
    return changed ? this.minionsFrame() : undefined;
  }

  private trimJobs(): void {
    while (this.jobs.size > this.maxJobs) {
      const oldest = this.jobs.keys().next().value;
      if (oldest === undefined) break;
      this.jobs.delete(oldest);
    }
  }

  private jobsFrame(): string {
    const jobs = emptyDict<SaltValue>();
    for (const [jid, job] of this.jobs) {
      const view: SaltMap = {};
      for (const [key, value] of Object.entries(job)) {
        if (value instanceof Map) view[key] = dictFrom(value);
        else if (value !== undefined) view[key] = value as SaltValue;
      }
      jobs[jid] = view;
    }
    return jsonDumps({ jobs });
  }

  private minionsFrame(): string {
    if (this.options.minionsAs === 'map') {
      const minions = emptyDict<SaltValue>();
      for (const [id, info] of this.minions) minions[id] = { ...info, id };
      return jsonDumps({ minions });
    }
    return jsonDumps({ minions: [...this.minions].map(([id, info]) => ({ ...info, id })) });
  }
}
