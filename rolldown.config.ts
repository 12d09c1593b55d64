/**
 * The start-up bundle, written by `npm run build` after tsc: src/cli.ts and what it imports,
 * node_modules included, as dist/bundle/salt-apid.mjs. Each module that is imported only when its
 * mode is used (`await import(...)`, decision 0014) stays a chunk of its own, out of a plain start.
 * Why a bundle, and what stays outside it: decision 0016.
 */
import { defineConfig, type BuildOptions } from 'rolldown';

/** Where `bin`, `npm start` and the systemd unit find salt-apid. */
export const BUNDLE_DIR = 'dist/bundle';
export const BUNDLE_ENTRY = 'salt-apid.mjs';

/**
 * Loaded from node_modules when run, never copied into the bundle:
 * - zeromq and authenticate-pam: native addons, which find their binaries from their own folder;
 * - redis: only for `session_store: cache` with the Redis driver, 0.9 MB a plain start would not use;
 * - what Fastify requires only when asked: its schema compilers (salt-apid hands it its own
 *   factories, src/http/transport/schema-compilers.ts) and light-my-request (`inject`, which the tests use).
 */
export const EXTERNAL_PACKAGES: readonly string[] = [
  'zeromq',
  'authenticate-pam',
  'redis',
  '@fastify/ajv-compiler',
  '@fastify/fast-json-stringify-compiler',
  'light-my-request',
];

function isExternal(id: string): boolean {
  if (id.startsWith('node:')) return true;
  return EXTERNAL_PACKAGES.some((name) => id === name || id.startsWith(`${name}/`));
}

/** The build, written to `dir` (the tests write one of their own elsewhere). */
export function bundleOptions(dir: string = BUNDLE_DIR): BuildOptions {
  return {
    input: { [BUNDLE_ENTRY.replace(/\.mjs$/, '')]: 'src/cli.ts' },
    platform: 'node',
    external: isExternal,
    output: {
      dir,
      format: 'esm',
      entryFileNames: '[name].mjs',
      chunkFileNames: '[name]-[hash].mjs',
      cleanDir: true,
      sourcemap: true,
      // Smaller code parses faster and takes less memory (about 15 ms and 3 MB at start). Function and
      // class names are kept: they are what a stack trace shows, and what Fastify names plugins by.
      minify: { mangle: { keepNames: true }, compress: { keepNames: { function: true, class: true } } },
    },
  };
}

/**
 * The event streams' thread, which stream-feed.ts starts from the file beside it: a build of its
 * own, whole in one file, so that the start-up bundle shares no chunk with it.
 */
export function streamFeedWorkerOptions(dir: string = BUNDLE_DIR): BuildOptions {
  const main = bundleOptions(dir);
  return {
    ...main,
    input: { 'stream-feed-worker': 'src/salt/stream-feed/worker.ts' },
    output: { ...main.output, cleanDir: false },
  };
}

export default defineConfig([bundleOptions(), streamFeedWorkerOptions()]);
