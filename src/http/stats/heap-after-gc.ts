/**
 * `saltapid_heap_after_gc_bytes`: the V8 heap in use right after the latest full (mark-compact)
 * collection — what the process keeps, without the garbage that the heap's other figures saw in
 * between. A leak raises it and nothing else moves it much: the figure an operator (and the soak)
 * watches over months. One observer per process, as prom-client's own GC metrics have.
 */
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { Gauge, type Registry } from 'prom-client';

let afterFullGc: number | undefined;
let observer: PerformanceObserver | undefined;

function observe(): void {
  observer ??= new PerformanceObserver((list) => {
    const full = list.getEntries().some((entry) => {
      const detail = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail;
      return detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR;
    });
    // Told just after the collection: what was allocated since is little beside the heap.
    if (full) afterFullGc = getHeapStatistics().used_heap_size;
  });
  observer.observe({ entryTypes: ['gc'] });
}

export function registerHeapAfterGc(registry: Registry): void {
  observe();
  new Gauge({
    name: 'saltapid_heap_after_gc_bytes',
    help: 'V8 heap in use right after the latest full collection: what the process keeps (absent before the first)',
    registers: [registry],
    collect() {
      if (afterFullGc !== undefined) this.set(afterFullGc);
    },
  });
}
