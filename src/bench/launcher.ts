/**
 * How the packages' launcher (pkg/common/salt-apid.sh) runs salt-apid, for the bench and the soak to
 * run it the same way: the Node.js options it passes, and the environment it sets unless the operator
 * did. test/e2e/bundle.test.ts holds the launcher to these.
 */

/**
 * V8's young generation capped at 16 MB a half (decision 0035): by default V8 grows it to 32 MB a half
 * on a machine with this much memory, and a large answer's short-lived values then keep 64 MB of heap
 * committed that no live value uses.
 */
export const LAUNCHER_NODE_OPTIONS: readonly string[] = ['--max-semi-space-size=16'];

/** Two malloc arenas (decision 0029), unless the environment sets its own. */
export function launcherEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, MALLOC_ARENA_MAX: env['MALLOC_ARENA_MAX'] ?? '2' };
}
