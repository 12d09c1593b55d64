import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { dictFrom } from '../../src/dict.js';
import { loadSettings, type LoadSettingsOptions } from '../../src/config/load.js';
import type { Settings } from '../../src/config/types.js';

/** The null-prototype mapping the loader builds for names taken from the config. */
export const dict = <T>(entries: Record<string, T>): Record<string, T> => dictFrom(Object.entries(entries));

const created: string[] = [];

/** Writes `files` (relative path → content) under a fresh temp dir and returns the dir. */
export function writeConfigTree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'salt-apid-config-'));
  created.push(root);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

/** Removes the trees written so far: a file that writes trees calls it `afterEach`. */
export function removeConfigTrees(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Loads `<dir>/master`, collecting the loader's warnings. */
export function loadConfig(dir: string, options: LoadSettingsOptions = {}): { settings: Settings; warnings: string[] } {
  const warnings: string[] = [];
  const settings = loadSettings({ configFile: join(dir, 'master'), onWarning: (m) => warnings.push(m), ...options });
  return { settings, warnings };
}
