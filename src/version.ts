import { readFileSync } from 'node:fs';

/** salt-apid's version, from package.json, read once for the CLI, the Server header and error pages. */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
