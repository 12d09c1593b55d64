/**
 * The e2e project's global setup: salt-apid's start-up bundle (rolldown.config.ts, what ships), built
 * once for the run into a folder of its own under dist/ (where it finds salt-apid's package.json and
 * node_modules as dist/bundle/ does), and removed after it. The tests that start salt-apid as a
 * process run it (spawnCli), as the packages do: a start from the bundle costs about a quarter less
 * CPU than one through the TypeScript loader, and the e2e files start it some twenty times.
 */
import { chmod, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';
import type { TestProject } from 'vitest/node';
import { BUNDLE_ENTRY, bundleOptions, streamFeedWorkerOptions } from '../../rolldown.config.js';

/** The bundle's entry and its chunks, each with the modules (paths) it holds. */
export interface CliBundle {
  entry: string;
  chunks: Array<{ fileName: string; modules: string[] }>;
  /** The fake `salt-ssh` (fake-salt-ssh.ts) as one plain module, which salt-ssh.ts puts on PATH. */
  fakeSaltSsh: string;
}

declare module 'vitest' {
  interface ProvidedContext {
    cliBundle: CliBundle;
  }
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const PREFIX = 'bundle-test-';
/** A run's folder: the prefix, the pid of the process that built it, and mkdtemp's letters. */
const RUN_FOLDER = new RegExp(`^${PREFIX}(\\d+)-`);

/** Whether process `pid` is still running. */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the folders of runs that ended without their teardown (a run stopped by a signal). */
async function removeLeftovers(dist: string): Promise<void> {
  for (const name of await readdir(dist)) {
    const pid = RUN_FOLDER.exec(name)?.[1];
    if (pid !== undefined && !running(Number(pid))) await rm(join(dist, name), { recursive: true, force: true });
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dist = join(ROOT, 'dist');
  await mkdir(dist, { recursive: true });
  await removeLeftovers(dist);
  // Named after this process, so that a later run knows whether it is still in use.
  const dir = await mkdtemp(join(dist, `${PREFIX}${process.pid}-`));
  // Readable by the user the run-as-user tests start it as.
  await chmod(dir, 0o755);
  // First: this build empties the folder (cleanDir), then the two others write beside it.
  const { output } = await build({ ...bundleOptions(dir), logLevel: 'silent' });
  await Promise.all([
    // The streams' thread, beside the entry as in dist/bundle/.
    build({ ...streamFeedWorkerOptions(dir), logLevel: 'silent' }),
    // The ssh client's tests start it dozens of times: without the loader, a third less CPU a start.
    build({
      input: { 'fake-salt-ssh': join(ROOT, 'test', 'support', 'fake-salt-ssh.ts') },
      platform: 'node',
      logLevel: 'silent',
      output: { dir, format: 'esm', entryFileNames: '[name].mjs' },
    }),
  ]);
  const chunks = output.flatMap((file) =>
    file.type === 'chunk' ? [{ fileName: file.fileName, modules: file.moduleIds }] : [],
  );
  project.provide('cliBundle', { entry: join(dir, BUNDLE_ENTRY), chunks, fakeSaltSsh: join(dir, 'fake-salt-ssh.mjs') });
  return () => rm(dir, { recursive: true, force: true });
}
