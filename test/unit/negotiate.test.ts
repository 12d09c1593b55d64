import { describe, expect, it } from 'vitest';
import { negotiate, negotiateResponse } from '../../src/http/transport/negotiate.js';

const JSON_TYPE = 'application/json';
const YAML_TYPE = 'application/x-yaml';

function chosen(accept: string | undefined): string | undefined {
  const result = negotiateResponse(accept);
  return result.ok ? result.mediaType : undefined;
}

describe('negotiateResponse (CherryPy accept rules, docs/routes.md "Responses")', () => {
  it('answers JSON when there is no Accept header or it is empty', () => {
    expect(chosen(undefined)).toBe(JSON_TYPE);
    expect(chosen('')).toBe(JSON_TYPE);
  });

  it('matches exact media types', () => {
    expect(chosen('application/json')).toBe(JSON_TYPE);
    expect(chosen('application/x-yaml')).toBe(YAML_TYPE);
  });

  it('orders equal q by the range text, descending, so YAML wins a tie with JSON', () => {
    expect(chosen('application/json, application/x-yaml')).toBe(YAML_TYPE);
    expect(chosen('application/x-yaml, application/json')).toBe(YAML_TYPE);
    // The q parameter is part of the compared text: "application/x-yaml;q=1" sorts after "application/json".
    expect(chosen('application/x-yaml;q=1, application/json')).toBe(YAML_TYPE);
  });

  it('orders by q first', () => {
    expect(chosen('application/json;q=0.9, application/x-yaml;q=0.8')).toBe(JSON_TYPE);
    expect(chosen('application/x-yaml;q=0.5, application/json')).toBe(JSON_TYPE);
    expect(chosen('*/*;q=0.1, application/x-yaml')).toBe(YAML_TYPE);
    expect(chosen('application/x-yaml ; q = 0.5, application/json')).toBe(JSON_TYPE);
  });

  it('treats */* and application/* as JSON', () => {
    expect(chosen('*/*')).toBe(JSON_TYPE);
    expect(chosen('application/*')).toBe(JSON_TYPE);
    expect(chosen('text/html, */*')).toBe(JSON_TYPE);
    expect(chosen('application/json, text/plain, */*')).toBe(JSON_TYPE);
    expect(chosen('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8')).toBe(JSON_TYPE);
  });

  it('skips ranges with q=0', () => {
    expect(chosen('application/x-yaml;q=0, */*')).toBe(JSON_TYPE);
    expect(chosen('application/x-yaml;q=0, application/json;q=0.1')).toBe(JSON_TYPE);
  });

  it("refuses with CherryPy's 406 text when nothing is acceptable", () => {
    for (const accept of ['text/plain', 'text/html', 'application/ms-word', 'text/yaml', 'application/json;q=0']) {
      expect(negotiateResponse(accept)).toEqual({
        ok: false,
        status: 406,
        message:
          `Your client sent this Accept header: ${accept}.` +
          ' But this resource only emits these media types: application/json, application/x-yaml.',
      });
    }
  });

  it('answers 400 for a q value Python cannot read as a float', () => {
    expect(negotiateResponse('application/json;q=high')).toEqual({
      ok: false,
      status: 400,
      message: 'Malformed HTTP header: `application/json;q=high`',
    });
    expect(chosen('application/json;q=1e0')).toBe(JSON_TYPE);
    expect(chosen('application/json;q=.5')).toBe(JSON_TYPE);
  });

  it('matches media types case-sensitively, as CherryPy does', () => {
    expect(chosen('Application/JSON')).toBeUndefined();
  });

  it('works for other offers (the HTML override asks about text/html)', () => {
    expect(negotiate('application/json, text/plain, */*', ['text/html'])).toEqual({ ok: true, mediaType: 'text/html' });
    expect(negotiate('text/*;q=0.5', ['text/html'])).toEqual({ ok: true, mediaType: 'text/html' });
    expect(negotiate('application/json', ['text/html']).ok).toBe(false);
  });

  it('answers a header seen before as it did, and keeps no more than a bounded table of them', () => {
    const first = negotiateResponse('application/x-yaml, application/json;q=0.5');
    expect(negotiateResponse('application/x-yaml, application/json;q=0.5')).toEqual(first);
    // Thousands of different headers: each still answered right.
    for (let i = 0; i < 2_000; i++) {
      expect(negotiateResponse(`text/x-${i}, application/json`)).toEqual({ ok: true, mediaType: 'application/json' });
    }
    expect(negotiateResponse('application/x-yaml, application/json;q=0.5')).toEqual(first);
    expect(negotiateResponse('text/plain').ok).toBe(false);
  });
});
