/**
 * What `salt-apid --check-config` found: errors (a start would refuse the configuration, or it
 * would run other than it says) and warnings (legal, but likely not what was meant). Each message
 * is one line naming the file and the option where there is one; each is told once.
 */
export type Severity = 'error' | 'warning';

export interface Problem {
  severity: Severity;
  message: string;
}

export class Problems {
  private readonly seen = new Set<string>();
  private readonly found: Problem[] = [];

  error(message: string): void {
    this.add('error', message);
  }

  warning(message: string): void {
    this.add('warning', message);
  }

  add(severity: Severity, message: string): void {
    const line = message.replace(/\s*\n\s*/g, ' ');
    const key = `${severity}\u0000${line}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.found.push({ severity, message: line });
  }

  /** Every problem, in the order found. */
  get all(): readonly Problem[] {
    return this.found;
  }

  /** Errors first, then warnings, each in the order found. */
  get sorted(): Problem[] {
    return [...this.found].sort(
      (left, right) => Number(left.severity === 'warning') - Number(right.severity === 'warning'),
    );
  }

  messages(severity: Severity): string[] {
    return this.found.filter((problem) => problem.severity === severity).map((problem) => problem.message);
  }

  get hasErrors(): boolean {
    return this.found.some((problem) => problem.severity === 'error');
  }
}

/** Where each option of the master config was set, for the head of a problem about it. */
export class Locator {
  constructor(
    private readonly fileOf: (path: readonly string[]) => string | undefined,
    private readonly configFile: string,
  ) {}

  /** The file that set the option at `path` (the main file when none did). */
  file(path: readonly string[]): string {
    return this.fileOf(path) ?? this.configFile;
  }

  /** `<file>: <option path>`. */
  at(path: readonly string[]): string {
    return `${this.file(path)}: ${path.join('.')}`;
  }
}
