/**
 * Response bodies exactly as salt-api writes them (docs/routes.md "Responses"): Python's
 * `json.dumps` or salt-api's YAML.
 */
import { jsonDumps } from '../python/json-dumps.js';
import { dumpYaml } from '../python/yaml11.js';
import { YAML_MEDIA_TYPE, type ResponseMediaType } from './negotiate.js';

export function serialize(value: unknown, mediaType: ResponseMediaType): string {
  return mediaType === YAML_MEDIA_TYPE ? dumpYaml(value) : jsonDumps(value);
}
