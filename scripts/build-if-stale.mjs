#!/usr/bin/env node
/**
 * `npm start`'s prestart: runs `npm run build` only when the start-up bundle is missing or older than what it
 * is built from (src/, the build configs, package.json), so that a start after `npm ci` (whose `prepare`
 * already built it) takes well under a second, and a start after an edit still runs the edited code.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
