import { readFile } from 'node:fs/promises';
import { CONFIG_VALUE_LIMITS } from '../../value-bounds.js';
import { loadYaml, SALT_YAML_SCHEMA } from '../../python/yaml11.js';
import { fnmatch } from '../../python/fnmatch.js';
import { reMatch } from '../../python/re-match.js';

/**
 * salt-ssh's flat roster as the master's target check reads it (`salt.roster.flat` through
 * `salt.utils.roster_matcher`): a YAML mapping of host names, matched by glob, pcre or list.
 * Every other target type matches no roster host, as there. The roster is read on each check, as
 * Salt does; a roster salt-apid cannot read (missing, unreadable, a Jinja template) adds no host,
 * which only ever narrows what a target-restricted ACL entry grants.
 */

/** Roster files are small; a bigger one is not a roster. */
const MAX_ROSTER_BYTES = 4 * 1024 * 1024;

export async function readRosterHosts(file: string): Promise<string[]> {
  let text: string;
  try {
    const bytes = await readFile(file);
    if (bytes.length > MAX_ROSTER_BYTES) return [];
    text = bytes.toString('utf8');
  } catch {
    return [];
  }
  let raw: unknown;
  try {
    raw = loadYaml(text, file, SALT_YAML_SCHEMA, CONFIG_VALUE_LIMITS);
  } catch {
    return [];
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return [];
  // get_data: an entry that is neither a host string nor a mapping is no target.
  return Object.entries(raw as Record<string, unknown>)
    .filter(
      ([, data]) => typeof data === 'string' || (data !== null && typeof data === 'object' && !Array.isArray(data)),
    )
    .map(([host]) => host);
}

/** `_tgt_set`: a comma-separated string or a list, as a set of names. */
function targetSet(tgt: unknown): Set<string> {
  if (typeof tgt === 'string') return new Set(tgt.split(','));
  return Array.isArray(tgt) ? new Set(tgt.filter((t): t is string => typeof t === 'string')) : new Set();
}

/** `RosterMatcher.targets`: the roster hosts `tgt` names. */
export function rosterTargets(hosts: readonly string[], tgt: unknown, tgtType: string): string[] {
  switch (tgtType) {
    case 'glob':
      return typeof tgt === 'string' ? hosts.filter((host) => fnmatch(host, tgt)) : [];
    case 'pcre':
      return typeof tgt === 'string' ? hosts.filter((host) => reMatch(tgt, host)) : [];
    case 'list': {
      const wanted = targetSet(tgt);
      return hosts.filter((host) => wanted.has(host));
    }
    default:
      return [];
  }
}
