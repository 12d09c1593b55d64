import type { Reporter, TestModule, Vitest } from 'vitest/node';

/**
 * Prints one plain closing line, "N passed, N failed, N skipped", that CI's log reader
 * recognises in any language. With coverage on, the line waits until the coverage report (and
 * its threshold check) is printed, so that it stays the last line; a failed run reports no
 * coverage, so its line is printed at once.
 */
export default class SummaryReporter implements Reporter {
  private coverage = false;
  private line: string | undefined;

  onInit(vitest: Vitest): void {
    this.coverage = vitest.config.coverage.enabled;
  }

  onTestRunEnd(testModules: readonly TestModule[]): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      if (mod.state() === 'failed' && mod.children.size === 0) failed++;
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
