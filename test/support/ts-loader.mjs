/**
 * Lets a plain `node` process run salt-apid straight from src/ (no build): `node --import
 * ./test/support/ts-loader.mjs src/cli.ts …`. Relative `.js` imports resolve to the `.ts` file
 * beside them, and `.ts` files are transpiled (types stripped, not checked) as they load.
 *
 * The hooks are synchronous ones (`module.registerHooks`), run in the thread that loads: no hooks
 * thread beside each process or worker thread, and no message between threads per module. That
 * halves what starting salt-apid from sources costs (the e2e tests start it, and its streams'
 * thread, hundreds of times).
 *
 * The output is kept in a per-user directory under the system's temporary directory, keyed by a hash
 * of the source: a test run that starts salt-apid several times loads TypeScript and transpiles
 * each file once, not once per process.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire, registerHooks } from 'node:module';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** Bump when the transpile options below change: old entries are then never read again. */
const CACHE_VERSION = '1';
const UID = userInfo().uid;
const CACHE_DIR = join(tmpdir(), `salt-apid-ts-loader-${UID}`);
/** A TypeScript upgrade may transpile differently: its version is part of the key too. */
let tsVersion;
let ts;
let cacheUsable;

/** Only a directory of our own that nobody else can write into. */
function checkCacheDir() {
  try {
    mkdirSync(CACHE_DIR, { recursive: true, mode: 0o700 });
    const info = statSync(CACHE_DIR);
    return info.isDirectory() && info.uid === UID && (info.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

function readCached(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Written aside and renamed into place, so a process starting meanwhile never reads half a file. */
function writeCached(path, text) {
  const partial = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(partial, text, { mode: 0o600 });
    renameSync(partial, path);
  } catch {
    // A cache that cannot be written only costs the next process a transpile.
  }
}

function transpile(fileName) {
  const source = readFileSync(fileName, 'utf8');
  tsVersion ??= JSON.parse(readFileSync(require.resolve('typescript/package.json'), 'utf8')).version;
  const key = createHash('sha256').update(`${CACHE_VERSION}\0${tsVersion}\0${fileName}\0${source}`).digest('hex');
  const cached = join(CACHE_DIR, `${key}.js`);
  cacheUsable ??= checkCacheDir();
  const hit = cacheUsable ? readCached(cached) : undefined;
  if (hit !== undefined) return hit;
  ts ??= require('typescript');
  const { outputText } = ts.transpileModule(source, {
    fileName,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false },
  });
  if (cacheUsable) writeCached(cached, outputText);
  return outputText;
}

registerHooks({
  resolve(specifier, context, next) {
    const parent = context.parentURL;
    if (parent?.endsWith('.ts') && specifier.startsWith('.') && specifier.endsWith('.js')) {
      const candidate = new URL(specifier.replace(/\.js$/, '.ts'), parent);
      if (existsSync(fileURLToPath(candidate))) return { url: candidate.href, shortCircuit: true };
    }
    return next(specifier, context);
  },
  load(url, context, next) {
    if (!url.endsWith('.ts')) return next(url, context);
    return { format: 'module', source: transpile(fileURLToPath(url)), shortCircuit: true };
  },
});
