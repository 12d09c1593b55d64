/**
 * Waiting for a condition on a busy machine: a deadline rather than a count of tries, since each try
 * (a request, a read) takes longer when other processes have the CPU.
 */

/**
 * Calls `probe` every `intervalMs` until `done` holds for what it returned or `timeoutMs` has passed, and
 * returns the last value: the caller's assertion on it says what was expected, and fails with it.
 */
export async function pollUntil<T>(
  probe: () => Promise<T> | T,
  done: (value: T) => boolean,
  { timeoutMs = 15_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    value = await probe();
  }
  return value;
}
