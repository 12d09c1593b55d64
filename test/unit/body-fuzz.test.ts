import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertWithinLimits, REQUEST_VALUE_LIMITS } from '../../src/value-bounds.js';
import { yamlifyArg } from '../../src/python/yamlify.js';
import { parseBodyText } from '../../src/http/transport/body.js';
import { HttpError } from '../../src/http/transport/errors.js';
import { jsonDumps } from '../../src/python/json-dumps.js';
import { fuzzRuns, hostileBytes, hostileForm, hostileText, threadCpuStopwatch } from '../support/fuzz.js';

/**
 * Every parser salt-apid runs on request text, fed hostile input: each call ends quickly, either
 * with a value within the request bounds (which the JSON writer can then serialise) or with the
 * 400/413 the request is answered with; never another exception. "Quickly" is CPU time, which a
 * busy machine does not stretch: the bound catches a parse that blows up, not a slow machine.
 */
const PER_CALL_CPU_MS = 250;
/**
 * What one parse may add to the process's RSS: an alias or nesting bomb that got through would take
 * gigabytes. The whole run's growth is bounded too, more loosely: it is mostly garbage not yet
 * collected, which grows with the run count (`npm run fuzz` runs ten times as many; 256 MB was once
 * exceeded by 1 MB there).
 */
const PER_CALL_RSS_BYTES = 128 * 1024 * 1024;
const PER_RUN_RSS_BYTES = 512 * 1024 * 1024;
/** `npm test`'s share (about 2 s here); `npm run fuzz` runs more, from other seeds. */
const FUZZ = fuzzRuns(20261125, 200);

function checkParse(mediaType: string, text: string): void {
  const cpuMs = threadCpuStopwatch();
  const rssBefore = process.memoryUsage.rss();
  let value: unknown;
  try {
    value = parseBodyText(mediaType, text);
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError);
    expect([400, 413]).toContain((error as HttpError).status);
    return;
  } finally {
    expect(cpuMs()).toBeLessThan(PER_CALL_CPU_MS);
    expect(process.memoryUsage.rss() - rssBefore).toBeLessThan(PER_CALL_RSS_BYTES);
  }
  assertWithinLimits(value, REQUEST_VALUE_LIMITS);
  expect(typeof jsonDumps(value)).toBe('string');
}

describe('body parsers under fuzzing', () => {
  it.each(['application/json', 'application/x-yaml', 'text/yaml', 'text/plain'])('%s', (mediaType) => {
    const rssBefore = process.memoryUsage.rss();
    fc.assert(
      fc.property(
        fc.oneof(
          hostileText,
          hostileBytes.map((bytes) => bytes.toString('utf8')),
        ),
        (text) => checkParse(mediaType, text),
      ),
      FUZZ,
    );
    expect(process.memoryUsage.rss() - rssBefore).toBeLessThan(PER_RUN_RSS_BYTES);
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
      FUZZ,
    );
  });
});

describe('yamlifyArg under fuzzing', () => {
  it('always answers at once with the text itself or a value within the request bounds', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const cpuMs = threadCpuStopwatch();
        const value = yamlifyArg(text);
        expect(cpuMs()).toBeLessThan(PER_CALL_CPU_MS);
        assertWithinLimits(value, REQUEST_VALUE_LIMITS);
        jsonDumps(value);
      }),
      FUZZ,
    );
  });
});
