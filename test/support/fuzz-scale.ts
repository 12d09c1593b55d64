/**
 * How many times more each property runs than in `npm test`, and the campaign's seed: `npm run fuzz`
 * (scripts/fuzz.mjs) sets FUZZ_SCALE and FUZZ_SEED, `npm test` leaves them unset. No imports, so that
 * vitest.config.ts can grow the test time limits by the same factor.
 */
function positiveIntegerFromEnv(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, not ${text}`);
  return value;
}

/** 1 in `npm test`, 10 by default under `npm run fuzz`. */
export const FUZZ_SCALE = Math.max(1, positiveIntegerFromEnv('FUZZ_SCALE') ?? 1);
/** The campaign's seed (`npm run fuzz` draws one and prints it); unset in `npm test`. */
export const CAMPAIGN_SEED = positiveIntegerFromEnv('FUZZ_SEED');

/**
 * A time limit grown with the run count under `npm run fuzz`: a property that runs ten times as often
 * takes ten times as long, and a fixed limit that fits `npm test` would fail the campaign by chance.
 */
export const fuzzTimeout = (ms: number): number => ms * FUZZ_SCALE;
