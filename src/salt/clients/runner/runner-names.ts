import { isSaltMap, type SaltMap } from '../../codec/values.js';
import { SaltError } from '../../errors.js';

/**
 * The names of the master's runner functions, asked of the master itself: salt-api refuses an
 * unknown runner `fun` at once because it loads the runner modules in its own process; salt-apid
 * asks the master's documentation runner (`doc.runner`, one `{name: docstring}` map for every
 * runner it has, custom `_runners` included) with the caller's credentials, and keeps the
 * answer for every caller for a while. A caller whose rights do not cover `doc.runner` leaves the
 * question open (undefined), and the call goes to the master as before.
 */

/** How long an answer is reused; a name not in it is asked again after `RECHECK_MS`. */
const FRESH_MS = 5 * 60_000;
const RECHECK_MS = 10_000;

export type AskDocRunner = (credentials: SaltMap) => Promise<unknown>;

const CREDENTIAL_KEYS = ['username', 'password', 'eauth', 'token'] as const;

export class RunnerNames {
  private names: ReadonlySet<string> | undefined;
  private fetchedAt = 0;
  private inFlight: Promise<ReadonlySet<string> | undefined> | undefined;

  constructor(
    private readonly ask: AskDocRunner,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether the master has runner `fun`; undefined when it could not be asked. */
  async has(fun: string, chunk: SaltMap): Promise<boolean | undefined> {
    const age = this.now() - this.fetchedAt;
    if (this.names !== undefined && age < FRESH_MS && (this.names.has(fun) || age < RECHECK_MS)) {
      return this.names.has(fun);
    }
    const names = await this.fetch(chunk);
    return names === undefined ? undefined : names.has(fun);
  }

  private fetch(chunk: SaltMap): Promise<ReadonlySet<string> | undefined> {
    this.inFlight ??= this.load(chunk).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async load(chunk: SaltMap): Promise<ReadonlySet<string> | undefined> {
    const credentials: SaltMap = {};
    for (const key of CREDENTIAL_KEYS) if (Object.hasOwn(chunk, key)) credentials[key] = chunk[key];
    let docs: unknown;
    try {
      docs = await this.ask(credentials);
    } catch (err) {
      if (err instanceof SaltError) return this.names;
      throw err;
    }
    if (!isSaltMap(docs) || !Object.hasOwn(docs, 'doc.runner')) return this.names;
    this.names = new Set(Object.keys(docs));
    this.fetchedAt = this.now();
    return this.names;
  }
}
