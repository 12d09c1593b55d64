#!/usr/bin/env node
/**
 * `npm start`: runs `npm run build` only when the start-up bundle is missing or older than what it is built
 * from (src/, config/, the build configs, package.json), then runs the bundle in this same process, with
 * this script's arguments (`npm start -- --port 8001`). A start with nothing to build costs one stat per
 * source file on top of the bundle's own start; the first one, and one after an edit, build first.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUNDLE = join(ROOT, 'dist', 'bundle', 'salt-apid.mjs');
const INPUTS = ['src', 'config', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];

/** The newest modification time under `path` (a file or a folder), in ms. */
function newest(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat === undefined) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((latest, name) => Math.max(latest, newest(join(path, name))), stat.mtimeMs);
}

const built = statSync(BUNDLE, { throwIfNoEntry: false })?.mtimeMs ?? 0;
const sources = Math.max(...INPUTS.concat('rolldown.config.ts').map((input) => newest(join(ROOT, input))));
if (sources > built) {
  process.stderr.write(
    built === 0 ? 'salt-apid: building (first start)\n' : 'salt-apid: sources changed since the last build: building\n',
  );
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}
// The bundle reads process.argv.slice(2): this script's own arguments.
await import(pathToFileURL(BUNDLE).href);
