import { HttpError } from '../transport/errors.js';
import { codePoints, CompiledGlob, type MatchMeter } from '../../python/fnmatch-linear.js';
import { MAX_FILTERED_TAG_LENGTH } from '../../salt/tag-glob.js';

export type { MatchMeter } from '../../python/fnmatch-linear.js';
export { MAX_FILTERED_TAG_LENGTH } from '../../salt/tag-glob.js';

/**
 * `?tag=<glob>` on `/events` and `/ws` (salt-apid's own; repeatable): only events whose tag
 * matches one of the globs (`fnmatch`, as Salt matches tags) reach the client, so a dashboard
 * that wants job returns does not receive the whole bus.
 *
 * Every stream's filter runs on every bus event, so its cost is bounded three ways: a few dozen
 * short globs, each compiled once (src/python/fnmatch-linear.ts) to match in time linear in the tag; tags
 * longer than {@link MAX_FILTERED_TAG_LENGTH} match no filter at all (Salt's own tags are far
 * shorter: a hook path or a custom `event.send` tag is what grows them); and streams filtering
 * with the same glob share one answer per event.
 */

export const MAX_GLOBS = 32;
export const MAX_GLOB_LENGTH = 256;

/** A stream's filter, with the globs it was made of (the stream feed's thread filters with them too). */
export type TagFilter = ((tag: string) => boolean) & { readonly globs: readonly string[] };

/** Compiled globs kept for streams to share; emptied when full. */
const MAX_SHARED_GLOBS = 256;

/** A compiled glob shared by every stream filtering with it, with its answer for the last tag. */
class SharedGlob {
  private lastTag: string | undefined;
  private lastAnswer = false;

  constructor(private readonly glob: CompiledGlob) {}

  /** The bus hands one event to every stream in turn: the streams after the first get its answer. */
  test(tag: string, meter: MatchMeter): boolean {
    if (tag !== this.lastTag) {
      this.lastAnswer = this.glob.test(codePointsOf(tag), meter);
      this.lastTag = tag;
    }
    return this.lastAnswer;
  }
}

const sharedGlobs = new Map<string, SharedGlob>();

function sharedGlob(glob: string): SharedGlob {
  let shared = sharedGlobs.get(glob);
  if (shared === undefined) {
    if (sharedGlobs.size >= MAX_SHARED_GLOBS) sharedGlobs.clear();
    shared = new SharedGlob(new CompiledGlob(glob));
    sharedGlobs.set(glob, shared);
  }
  return shared;
}

let lastTag: string | undefined;
let lastCodePoints: number[] = [];

/** The code points of the tag being filtered, split once for every stream and glob. */
function codePointsOf(tag: string): number[] {
  if (tag !== lastTag) {
    lastCodePoints = codePoints(tag);
    lastTag = tag;
  }
  return lastCodePoints;
}

/** Counts nothing. */
const UNMETERED: MatchMeter = { steps: 0 };

/**
 * The filter of a request's `tag` parameters, compiled once for the stream; undefined (everything)
 * without any. `meter` counts the characters matching looks at.
 */
export function tagFilter(values: string | string[] | undefined, meter: MatchMeter = UNMETERED): TagFilter | undefined {
  if (values === undefined) return undefined;
  const globs = (Array.isArray(values) ? values : [values]).filter((glob) => glob !== '');
  if (globs.length === 0) return undefined;
  if (globs.length > MAX_GLOBS || globs.some((glob) => glob.length > MAX_GLOB_LENGTH)) {
    throw new HttpError(400, `At most ${MAX_GLOBS} tag filters of at most ${MAX_GLOB_LENGTH} characters.`, {
      shape: 'envelope',
    });
  }
  const unique = [...new Set(globs)];
  const compiled = unique.map(sharedGlob);
  const filter = (tag: string): boolean => {
    meter.steps++;
    if (tag.length > MAX_FILTERED_TAG_LENGTH) return false;
    return compiled.some((glob) => glob.test(tag, meter));
  };
  return Object.assign(filter, { globs: unique });
}
