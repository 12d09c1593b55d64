/**
 * Lets a plain `node` process run salt-apid straight from src/ (no build): `node --import
 * ./test/support/ts-loader.mjs src/cli.ts …`. Relative `.js` imports resolve to the `.ts` file
 * beside them, and `.ts` files are transpiled (types stripped, not checked) as they load.
 *
 * The output is kept in a per-user directory under the system's temporary directory, keyed by a hash
 * of the source: a test run that starts salt-apid several times loads TypeScript and transpiles
 * each file once, not once per process.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { createRequire, register } from 'node:module';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

if (!import.meta.url.includes('?hooks')) register(`${import.meta.url}?hooks`, import.meta.url);

let ts;

export async function resolve(specifier, context, next) {
  const parent = context.parentURL;
  if (parent?.endsWith('.ts') && specifier.startsWith('.') && specifier.endsWith('.js')) {
    const candidate = new URL(specifier.replace(/\.js$/, '.ts'), parent);
    if (existsSync(fileURLToPath(candidate))) return { url: candidate.href, shortCircuit: true };
  }
  return next(specifier, context);
}

/** Bump when the transpile options below change: old entries are then never read again. */
const CACHE_VERSION = '1';
/** A TypeScript upgrade may transpile differently: its version is part of the key too. */
let tsVersion;
const UID = userInfo().uid;
const CACHE_DIR = join(tmpdir(), `salt-apid-ts-loader-${UID}`);
let cacheUsable;

/** Only a directory of our own that nobody else can write into. */
async function checkCacheDir() {
  try {
    await mkdir(CACHE_DIR, { recursive: true, mode: 0o700 });
    const info = await stat(CACHE_DIR);
    return info.isDirectory() && info.uid === UID && (info.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const fileName = fileURLToPath(url);
  const source = await readFile(fileName, 'utf8');
  tsVersion ??= JSON.parse(
    await readFile(createRequire(import.meta.url).resolve('typescript/package.json'), 'utf8'),
  ).version;
  const key = createHash('sha256').update(`${CACHE_VERSION}\0${tsVersion}\0${fileName}\0${source}`).digest('hex');
  const cached = join(CACHE_DIR, `${key}.js`);
  cacheUsable ??= checkCacheDir();
  const useCache = await cacheUsable;
  const hit = useCache ? await readFile(cached, 'utf8').catch(() => undefined) : undefined;
  if (hit !== undefined) return { format: 'module', source: hit, shortCircuit: true };
  ts ??= (await import('typescript')).default;
  const { outputText } = ts.transpileModule(source, {
    fileName,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false },
  });
  // Written aside and renamed into place, so a process starting meanwhile never reads half a file.
  const partial = `${cached}.${process.pid}.tmp`;
  if (useCache) {
    await writeFile(partial, outputText, { mode: 0o600 })
      .then(() => rename(partial, cached))
      .catch(() => {});
  }
  return { format: 'module', source: outputText, shortCircuit: true };
}
