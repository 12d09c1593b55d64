import { describe, expect, it } from 'vitest';
import { markdownTable } from '../../src/bench/markdown-table.js';
import { capacityTable } from '../../src/bench/capacity.js';

describe('the benchmark tables', () => {
  it('writes a header, a separator and a row per item', () => {
    expect(markdownTable(['a', 'b'], [{ x: 1, y: '' }], (r) => [r.x, r.y])).toBe('| a | b |\n|---|---|\n| 1 |  |');
    expect(
      capacityTable([{ mode: 'shared', connections: 8, rps: 7.25, p50: 900, p99: 1200, failures: 0 } as never]),
    ).toBe(
      '| liveness checks | conc | req/s | p50 ms | p99 ms | failed |\n|---|---|---|---|---|---|\n| shared | 8 | 7.3 | 900 | 1200 | 0 |',
    );
  });
});
