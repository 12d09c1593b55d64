import { PACKAGE_ROOT } from './package-root.js';

/** salt-apid's version, from package.json, read once for the CLI, the Server header and error pages. */
export const VERSION: string = PACKAGE_ROOT.version;
