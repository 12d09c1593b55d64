import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertWithinLimits, REQUEST_VALUE_LIMITS } from '../../src/value-bounds.js';
import { yamlifyArg } from '../../src/python/yamlify.js';
import { parseBodyText } from '../../src/http/body.js';
import { HttpError } from '../../src/http/errors.js';
import { jsonDumps } from '../../src/python/json-dumps.js';
import { hostileBytes, hostileForm, hostileText } from '../support/fuzz.js';

/**
 * Every parser salt-apid runs on request text, fed hostile input: each call ends quickly, either
 * with a value within the request bounds (which the JSON writer can then serialise) or with the
 * 400/413 the request is answered with; never another exception.
 */
const PER_CALL_MS = 250;
const RUNS = 1_000;
/** Fixed for CI; FUZZ_SEED=<n> explores other inputs. */
const SEED = Number(process.env['FUZZ_SEED'] ?? 20261125);

function checkParse(mediaType: string, text: string): void {
  const start = performance.now();
  let value: unknown;
  try {
    value = parseBodyText(mediaType, text);
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError);
    expect([400, 413]).toContain((error as HttpError).status);
    return;
  } finally {
    expect(performance.now() - start).toBeLessThan(PER_CALL_MS);
  }
  assertWithinLimits(value, REQUEST_VALUE_LIMITS);
  expect(typeof jsonDumps(value)).toBe('string');
}

describe('body parsers under fuzzing', () => {
  it.each(['application/json', 'application/x-yaml', 'text/yaml', 'text/plain'])('%s', (mediaType) => {
    const rssBefore = process.memoryUsage().rss;
    fc.assert(
      fc.property(
        fc.oneof(
          hostileText,
          hostileBytes.map((bytes) => bytes.toString('utf8')),
        ),
        (text) => checkParse(mediaType, text),
      ),
      { seed: SEED, numRuns: RUNS },
    );
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * 1024 * 1024);
  });

  it('application/x-www-form-urlencoded', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hostileForm,
          hostileBytes.map((bytes) => bytes.toString('latin1')),
        ),
        (form) => checkParse('application/x-www-form-urlencoded', form),
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe('yamlifyArg under fuzzing', () => {
  it('always answers at once with the text itself or a value within the request bounds', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const start = performance.now();
        const value = yamlifyArg(text);
        expect(performance.now() - start).toBeLessThan(PER_CALL_MS);
        assertWithinLimits(value, REQUEST_VALUE_LIMITS);
        jsonDumps(value);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
