import type { Reporter, SerializedError, TestModule, Vitest } from 'vitest/node';

/**
 * Prints one plain closing line, "N passed, N failed, N skipped", that CI's log reader
 * recognises in any language. A file that failed with none of its tests failing (a hook such as
 * afterAll threw, or it did not load) counts as one failure, and so does each error thrown outside
 * any test: a red run never prints "0 failed". With coverage on, the line waits until the coverage report (and
 * its threshold check) is printed, so that it stays the last line; a failed run reports no
 * coverage, so its line is printed at once.
 */
export default class SummaryReporter implements Reporter {
  private coverage = false;
  private line: string | undefined;

  onInit(vitest: Vitest): void {
    this.coverage = vitest.config.coverage.enabled;
  }

  onTestRunEnd(testModules: readonly TestModule[], unhandledErrors: readonly SerializedError[] = []): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const mod of testModules) {
      let failedHere = 0;
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failedHere++;
        else skipped++;
      }
      if (mod.state() === 'failed' && failedHere === 0) failedHere = 1;
      failed += failedHere;
    }
    this.line = `\n${passed} passed, ${failed} failed, ${skipped} skipped\n`;
    if (!this.coverage || failed > 0) this.print();
  }

  onFinishedReportCoverage(): void {
    this.print();
  }

  private print(): void {
    if (this.line === undefined) return;
    process.stdout.write(this.line);
    this.line = undefined;
  }
}
