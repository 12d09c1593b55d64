import type { SourcedConfig } from '../config/master-file.js';
import { unknownRestKeys } from '../config/unknown-rest-keys.js';
import { nearestName } from './nearest.js';
import type { Problems } from './problems.js';

/**
 * Each key under `rest_cherrypy:` that salt-apid does not read is an error: salt-api ignores it
 * without a word, so a misspelt option silently keeps its default. The nearest known key is offered
 * when one is close.
 */
export function checkUnknownKeys(config: SourcedConfig, configFile: string, problems: Problems): void {
  for (const { key, path, within, known } of unknownRestKeys(config.data['rest_cherrypy'])) {
    const file = config.fileOf(path) ?? configFile;
    const near = nearestName(key, known);
    const advice = near === undefined ? '' : `; did you mean '${near}'?`;
    problems.error(`${file}: unknown key '${key}' under ${within}, which salt-apid (like salt-api) ignores${advice}`);
  }
}
