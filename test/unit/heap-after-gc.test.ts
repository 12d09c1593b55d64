import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerHeapAfterGc } from '../../src/http/stats/heap-after-gc.js';
import { pollUntil } from '../support/poll.js';

/** The heap kept after a full collection (heap-after-gc.ts). */

describe('saltapid_heap_after_gc_bytes', () => {
  it('reads the heap in use once a full collection has run', async () => {
    const registry = new Registry();
    registerHeapAfterGc(registry);
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const value = async (): Promise<number> => {
      const metric = await registry.getSingleMetric('saltapid_heap_after_gc_bytes')?.get();
      return metric?.values[0]?.value ?? 0;
    };
    expect(await pollUntil(value, (bytes) => bytes > 0, { timeoutMs: 5_000 })).toBeGreaterThan(1_000_000);
  });
});
