/**
 * Port of Salt's `salt.utils.args.yamlify_arg` (salt/utils/args.py; docs/routes.md
 * "Request bodies"): how a CLI-style string argument (urlencoded `arg`/`kwarg` values, `name=value`
 * strings) becomes data.
 */
import { Float64 } from './float.js';
import { loadYaml, SALT_REQUEST_YAML_SCHEMA } from './yaml11.js';

const DIGITS_AND_UNDERSCORES = /^[0-9_]*$/;
const NON_PRINTABLE_WHITESPACE = /[\t\r\n]/;

function isMapping(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array) &&
    !(value instanceof Date) &&
    !(value instanceof Float64)
  );
}

/** Python's None, bool, int, float and str: the scalar results yamlify_arg keeps. */
function isSupportedScalar(value: unknown): boolean {
  return value === null || value instanceof Float64 || ['boolean', 'number', 'bigint', 'string'].includes(typeof value);
}

export function yamlifyArg(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const arg = value;
  const stripped = arg.trim();
  if (stripped === '' || stripped === '---' || stripped === '...') return arg;
  // Underscores are digit separators in YAML 1.1, so "1_2" would become 12.
  if (arg.includes('_') && DIGITS_AND_UNDERSCORES.test(stripped)) return arg;
  if (NON_PRINTABLE_WHITESPACE.test(arg)) return arg;

  let loaded: unknown;
  try {
    // '#' starts a comment; only keep the load when it produced something other than text.
    if (arg.includes('#')) {
      loaded = loadYaml(arg, undefined, SALT_REQUEST_YAML_SCHEMA);
      return typeof loaded === 'string' || loaded === null ? arg : loaded;
    }
    loaded = arg === 'None' ? null : loadYaml(arg, undefined, SALT_REQUEST_YAML_SCHEMA);
  } catch {
    return arg;
  }

  if (isMapping(loaded)) return arg.startsWith('{') ? loaded : arg;
  if (Array.isArray(loaded)) return arg.startsWith('[') ? loaded : arg;
  if (!isSupportedScalar(loaded)) return arg;
  // The loader reads '|' and '!' as empty or null; keep the character.
  if ((loaded === '' && (arg === '|' || arg === '!')) || (loaded === null && arg === '!')) return arg;
  return loaded;
}
