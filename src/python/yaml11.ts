/**
 * YAML the way Salt reads it: PyYAML's YAML 1.1 typing through Salt's SaltYamlSafeLoader
 * (docs/routes.md "Request bodies"). Writing it, as salt-api does, is yaml-dump.ts's job.
 */
import { FAILSAFE_SCHEMA, YAMLException, load, type LoadOptions, type Schema } from 'js-yaml';
import {
  binaryType,
  boolType,
  explicitFloatType,
  explicitRequestFloatType,
  floatType,
  intType,
  mergeType,
  nullType,
  omapType,
  pairsType,
  pythonUnicodeType,
  requestFloatType,
  saltIntType,
  saltTimestampType,
  setType,
  timestampType,
} from './yaml11-types.js';
import { assertWithinLimits, REQUEST_VALUE_LIMITS, ValueTooLargeError, type ValueLimits } from '../value-bounds.js';
import { errorMessage } from '../error-fields.js';

const EXPLICIT_TYPES = [binaryType, omapType, pairsType, setType];

/** PyYAML's SafeLoader unchanged: `0755` → 493, `2026-11-23` → Date. */
export const PYYAML_SAFE_SCHEMA: Schema = FAILSAFE_SCHEMA.extend({
  implicit: [nullType, boolType, intType, floatType, timestampType, mergeType],
  explicit: [...EXPLICIT_TYPES, explicitFloatType],
});

/**
 * Salt's SaltYamlSafeLoader (salt/utils/yamlloader.py), used for the master config, YAML request bodies
 * and yamlify: leading zeros of integers are stripped (`0755` → 755, Salt's long-standing quirk) and
 * timestamps stay strings. Duplicate mapping keys are an error, as in Salt.
 */
export const SALT_YAML_SCHEMA: Schema = FAILSAFE_SCHEMA.extend({
  implicit: [nullType, boolType, saltIntType, floatType, saltTimestampType, mergeType],
  explicit: [...EXPLICIT_TYPES, explicitFloatType, pythonUnicodeType],
});

/** SALT_YAML_SCHEMA for request data (YAML bodies, yamlified form values): integral floats stay floats. */
export const SALT_REQUEST_YAML_SCHEMA: Schema = FAILSAFE_SCHEMA.extend({
  implicit: [nullType, boolType, saltIntType, requestFloatType, saltTimestampType, mergeType],
  explicit: [...EXPLICIT_TYPES, explicitRequestFloatType, pythonUnicodeType],
});

/** A YAML document that does not parse; the message is one line. */
export class YamlSyntaxError extends Error {
  override readonly name = 'YamlSyntaxError';

  constructor(
    readonly reason: string,
    readonly line: number | undefined,
    readonly column: number | undefined,
  ) {
    super(line === undefined ? reason : `${reason} (line ${line}, column ${column ?? 0})`);
  }
}

/**
 * One YAML document as data. `limits` bound the nesting (during the load) and the document's size
 * once its aliases are expanded (right after it, before anything walks the value): request data
 * gets the strict default, the master configuration passes CONFIG_VALUE_LIMITS.
 */
export function loadYaml(
  text: string,
  filename?: string,
  schema: Schema = SALT_YAML_SCHEMA,
  limits: ValueLimits = REQUEST_VALUE_LIMITS,
): unknown {
  let value: unknown;
  try {
    // maxDepth is js-yaml 4.1.1+'s own bound (missing from @types/js-yaml), here only a guard of
    // its recursion: it counts scalars and some flow nodes as levels; the exact bound is checked below.
    const options: LoadOptions & { maxDepth: number } = {
      schema,
      maxDepth: limits.maxDepth + 10,
      ...(filename === undefined ? {} : { filename }),
    };
    value = load(text, options);
  } catch (error) {
    if (error instanceof YAMLException) {
      const mark = error.mark as YAMLException['mark'] | undefined;
      throw new YamlSyntaxError(error.reason, mark ? mark.line + 1 : undefined, mark ? mark.column + 1 : undefined);
    }
    throw new YamlSyntaxError(errorMessage(error), undefined, undefined);
  }
  try {
    assertWithinLimits(value, limits);
  } catch (error) {
    if (error instanceof ValueTooLargeError)
      throw new YamlSyntaxError(`the document ${error.message}`, undefined, undefined);
    throw error;
  }
  return value === undefined ? null : value;
}
