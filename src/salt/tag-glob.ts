import { codePoints, CompiledGlob, type MatchMeter } from '../python/fnmatch-linear.js';

/**
 * The longest tag a filter looks at; a longer one is left out of every filtered stream (streams
 * without `?tag=` still get it). Salt's tags are short: `salt/job/<jid>/ret/<minion id>` stays
 * under 300 characters with a minion id of 255; 2,048 leaves room for beacons that put a file path
 * in their tag.
 */
export const MAX_FILTERED_TAG_LENGTH = 2048;

/**
 * A matcher of tags for these globs, as the streams' `?tag=` filter decides (tag-filter.ts): one
 * of them matches, and the tag is not longer than {@link MAX_FILTERED_TAG_LENGTH}. The stream
 * feed's thread (stream-feed/) picks the events the streams want with it. Nothing shared, nothing counted.
 */
export function globsMatcher(globs: readonly string[]): (tag: string) => boolean {
  const compiled = globs.map((glob) => new CompiledGlob(glob));
  const meter: MatchMeter = { steps: 0 };
  return (tag) => {
    if (tag.length > MAX_FILTERED_TAG_LENGTH) return false;
    const cps = codePoints(tag);
    return compiled.some((glob) => glob.test(cps, meter));
  };
}
