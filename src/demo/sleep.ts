interface Sleeper {
  timer: NodeJS.Timeout;
  reject: (reason: unknown) => void;
}

/**
 * The sleepers of each signal, behind one abort listener per signal: an EventTarget checks every
 * listener it holds when one is added, so 10,000 minions each adding their own made starting a
 * 10,000-minion job quadratic (1.4 s of the demo's event loop in addEventListener alone).
 */
const sleepersBySignal = new WeakMap<AbortSignal, Set<Sleeper>>();

function sleepersOf(signal: AbortSignal): Set<Sleeper> {
  const known = sleepersBySignal.get(signal);
  if (known !== undefined) return known;
  const sleepers = new Set<Sleeper>();
  sleepersBySignal.set(signal, sleepers);
  signal.addEventListener(
    'abort',
    () => {
      for (const sleeper of sleepers) {
        clearTimeout(sleeper.timer);
        sleeper.reject(signal.reason);
      }
      sleepers.clear();
    },
    { once: true },
  );
  return sleepers;
}

/** A timer that an AbortSignal cancels: everything the demo master waits on stops with it. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const sleepers = sleepersOf(signal);
    const sleeper: Sleeper = {
      reject,
      timer: setTimeout(
        () => {
          sleepers.delete(sleeper);
          resolve();
        },
        Math.max(0, ms),
      ),
    };
    sleepers.add(sleeper);
  });
}
