import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where salt-apid's own files (package.json, config/demo.conf) lie, found from where the running
 * code lies: src/ under vitest, dist/ as tsc writes it, dist/bundle/ as the bundler writes it. No
 * layout is assumed: the nearest folder above whose package.json is salt-apid's is the root.
 */

const PACKAGE_NAME = 'salt-apid';
/** Far more than salt-apid's package.json; a larger file is not it. */
const MAX_MANIFEST_BYTES = 64 * 1024;

export interface PackageRoot {
  /** The folder that holds salt-apid's package.json. */
  dir: string;
  version: string;
}

function readManifest(file: string): { name?: unknown; version?: unknown } | undefined {
  try {
    const text = readFileSync(file, 'utf8');
    if (text.length > MAX_MANIFEST_BYTES) return undefined;
    const manifest: unknown = JSON.parse(text);
    return typeof manifest === 'object' && manifest !== null ? manifest : undefined;
  } catch {
    // Absent, unreadable or not JSON: not salt-apid's.
    return undefined;
  }
}

/** The nearest folder at or above `start` whose package.json is named salt-apid. */
export function findPackageRoot(start: string): PackageRoot {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = readManifest(join(dir, 'package.json'));
    if (manifest?.name === PACKAGE_NAME && typeof manifest.version === 'string') {
      return { dir, version: manifest.version };
    }
    if (dirname(dir) === dir) throw new Error(`no package.json of ${PACKAGE_NAME} at or above ${start}`);
  }
}

/** salt-apid's root, found once from this module's own folder. */
export const PACKAGE_ROOT: PackageRoot = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
