import { fnmatchRegExp } from '../python/fnmatch.js';
import { HttpError } from './errors.js';

/**
 * `?tag=<glob>` on `/events` and `/ws` (salt-apid's own; repeatable): only events whose tag
 * matches one of the globs (`fnmatch`, as Salt matches tags) reach the client, so a dashboard
 * that wants job returns does not receive the whole bus. Bounded: a few dozen short globs.
 */

const MAX_GLOBS = 32;
const MAX_GLOB_LENGTH = 512;

/** The filter of a request's `tag` parameters; undefined (everything) without any. */
export function tagFilter(values: string | string[] | undefined): ((tag: string) => boolean) | undefined {
  if (values === undefined) return undefined;
  const globs = (Array.isArray(values) ? values : [values]).filter((glob) => glob !== '');
  if (globs.length === 0) return undefined;
  if (globs.length > MAX_GLOBS || globs.some((glob) => glob.length > MAX_GLOB_LENGTH)) {
    throw new HttpError(400, `At most ${MAX_GLOBS} tag filters of at most ${MAX_GLOB_LENGTH} characters.`, {
      shape: 'envelope',
    });
  }
  const patterns = globs.map((glob) => fnmatchRegExp(glob));
  return (tag) => patterns.some((pattern) => pattern.test(tag));
}
