import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { testSettings } from '../support/settings.js';
import { threadCpuStopwatch } from '../support/fuzz.js';
import { deepJson, yamlBomb } from '../support/hostile.js';
import { jsonLoads } from '../../src/python/json-loads.js';

let app: FastifyInstance;

/**
 * `ms` is the CPU time this thread spent on the request (nothing else runs on it meanwhile): what
 * "at once" means on a busy machine too, where wall time also counts other processes' turns.
 */
async function post(payload: string, contentType: string) {
  const cpuMs = threadCpuStopwatch();
  const response = await app.inject({
    method: 'POST',
    url: '/echo',
    payload,
    headers: { 'content-type': contentType, accept: 'application/json' },
  });
  return { response, ms: cpuMs() };
}

beforeAll(async () => {
  app = await buildApp({
    settings: testSettings({ rest: { maxRequestBodySize: 4 * 1024 * 1024 } }),
    logger: pino({ level: 'silent' }),
  });
  app.post('/echo', async (request, reply) =>
    reply.sendSalt({ body: request.body === undefined ? '<no data>' : request.body }),
  );
  await app.ready();
});

afterAll(async () => {
  await app.close();
});

describe('YAML bodies', () => {
  it.each(['application/x-yaml', 'text/yaml'])(
    'answer 400 "Invalid YAML document" to an alias bomb (%s), at once',
    async (type) => {
      const { response, ms } = await post(yamlBomb(), type);
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain('<p>Invalid YAML document</p>');
      expect(ms).toBeLessThan(1_000);
    },
  );

  it('answer 400 beyond 100 levels of nesting', async () => {
    expect((await post(deepJson(100), 'application/x-yaml')).response.statusCode).toBe(200);
    const { response, ms } = await post(deepJson(100_000), 'application/x-yaml');
    expect(response.statusCode).toBe(400);
    expect(ms).toBeLessThan(1_000);
  });
});

describe('JSON bodies', () => {
  it('answer 400 "Invalid JSON document" beyond 100 levels, without parsing them', async () => {
    const ok = await post(deepJson(100), 'application/json');
    expect(ok.response.statusCode).toBe(200);
    const { response, ms } = await post(deepJson(100_000), 'application/json');
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('<p>Invalid JSON document</p>');
    expect(ms).toBeLessThan(1_000);
    const objects = await post(`${'{"a":'.repeat(101)}1${'}'.repeat(101)}`, 'application/json');
    expect(objects.response.statusCode).toBe(400);
  });

  it('text/plain: too deep JSON is refused, too deep other text stays text', async () => {
    const { response } = await post(deepJson(100_000), 'text/plain');
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('<p>Invalid JSON document</p>');
    const text = `note ${'['.repeat(200)}`;
    const plain = await post(text, 'text/plain');
    expect(plain.response.statusCode).toBe(200);
    expect(plain.response.json()).toEqual({ body: text });
  });
});

describe('urlencoded bodies', () => {
  const form = 'application/x-www-form-urlencoded';

  it('keep an arg or kwarg whose YAML is an alias bomb as text', async () => {
    const bomb = yamlBomb(9, 9, true);
    const { response, ms } = await post(
      `fun=test.arg&arg=${encodeURIComponent(bomb)}&kwarg=${encodeURIComponent(bomb)}`,
      form,
    );
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ body: { fun: 'test.arg', arg: [bomb], kwarg: bomb } });
    expect(ms).toBeLessThan(1_000);
  });

  it('answer 413 when fields within bounds one by one expand beyond them together', async () => {
    const field = encodeURIComponent(yamlBomb(6, 9, true));
    const { response } = await post(`arg=${field}&arg=${field}&arg=${field}`, form);
    expect(response.statusCode).toBe(413);
    expect(response.json()).toEqual({ status: 413, return: 'The request body expands to more than 1000000 nodes.' });
  });
});

describe("integer literals past Python's 4,300 digits (int_max_str_digits)", () => {
  const digits = (n: number): string => `${'9'.repeat(n - 1)}7`;

  it('JSON: 4,301 digits is 400 "Invalid JSON document", as salt-api answers its ValueError; 4,300 parse', async () => {
    for (const type of ['application/json', 'text/plain']) {
      const ok = await post(`{"n": ${digits(4_300)}, "m": -${digits(4_300)}}`, type);
      expect(ok.response.statusCode, type).toBe(200);
      expect(jsonLoads(ok.response.body)).toEqual({ body: { n: BigInt(digits(4_300)), m: -BigInt(digits(4_300)) } });
    }
    for (const body of [`{"n": ${digits(4_301)}}`, `[-${digits(4_301)}]`, `{"password": ${digits(900_000)}}`]) {
      const { response } = await post(body, 'application/json');
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain('<p>Invalid JSON document</p>');
    }
    // text/plain is JSON when it parses, else the text itself (salt-api's text_processor).
    const text = `[${digits(4_301)}]`;
    const plain = await post(text, 'text/plain');
    expect(plain.response.statusCode).toBe(200);
    expect(plain.response.json<{ body: unknown }>().body === text).toBe(true);
  });

  it('YAML: 4,301 decimal digits is 400 "Invalid YAML document"; 4,300 parse', async () => {
    const ok = await post(`n: ${digits(4_300)}`, 'application/x-yaml');
    expect(ok.response.statusCode).toBe(200);
    expect(jsonLoads(ok.response.body)).toEqual({ body: { n: BigInt(digits(4_300)) } });
    for (const body of [`n: ${digits(4_301)}`, `n: -${digits(4_301)}`, `n: ${digits(900_000)}`]) {
      const { response } = await post(body, 'application/x-yaml');
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain('<p>Invalid YAML document</p>');
    }
  });

  it('urlencoded: a yamlified arg of 4,301 digits stays text (yamlify_arg keeps what it cannot load)', async () => {
    const { response } = await post(`arg=${digits(4_301)}&arg=${digits(4_300)}`, 'application/x-www-form-urlencoded');
    expect(response.statusCode).toBe(200);
    const { arg } = (jsonLoads(response.body) as { body: { arg: unknown[] } }).body;
    expect(arg.map((value) => typeof value)).toEqual(['string', 'bigint']);
    expect(arg[0] === digits(4_301) && arg[1] === BigInt(digits(4_300))).toBe(true);
  });
});
