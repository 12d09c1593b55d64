import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { testSettings } from '../support/settings.js';

let app: FastifyInstance;

/** Posts `payload` (with its Content-Length, as a client does) to a route that echoes what the parsers made of it. */
async function post(payload: string, headers: Record<string, string>) {
  const length = { 'content-length': String(Buffer.byteLength(payload)) };
  return app.inject({ method: 'POST', url: '/echo', payload, headers: { ...length, ...headers } });
}

async function parsed(payload: string, contentType: string): Promise<{ body: unknown; raw: string }> {
  const response = await post(payload, { 'content-type': contentType });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

beforeAll(async () => {
  app = await buildApp({
    settings: testSettings({ rest: { maxRequestBodySize: 64 } }),
    logger: pino({ level: 'silent' }),
  });
  app.post('/echo', async (request, reply) =>
    reply.sendSalt({ body: request.body === undefined ? '<no data>' : request.body, raw: request.rawBody }),
  );
  await app.ready();
});

afterAll(async () => {
  await app.close();
});

describe('application/json', () => {
  it('parses a JSON document, with or without parameters', async () => {
    expect(await parsed('[{"fun": "test.ping"}]', 'application/json')).toEqual({
      body: [{ fun: 'test.ping' }],
      raw: '[{"fun": "test.ping"}]',
    });
    expect((await parsed('{"a": 1}', 'application/json; charset=utf-8')).body).toEqual({ a: 1 });
  });

  it('answers 400 "Invalid JSON document" to a broken one', async () => {
    const response = await post('{"a": ', { 'content-type': 'application/json' });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toBe('text/html;charset=utf-8');
    expect(response.body).toContain('<p>Invalid JSON document</p>');
  });
});

describe('YAML', () => {
  it('parses application/x-yaml and text/yaml with YAML 1.1 typing', async () => {
    expect((await parsed('fun: test.arg\narg: [yes, off, ~, 1:20]', 'application/x-yaml')).body).toEqual({
      fun: 'test.arg',
      arg: [true, false, null, 80],
    });
    expect((await parsed('- a\n- b', 'text/yaml')).body).toEqual(['a', 'b']);
  });

  it('answers 400 "Invalid YAML document" to a broken one', async () => {
    const response = await post('a: [b', { 'content-type': 'application/x-yaml' });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('<p>Invalid YAML document</p>');
  });
});

describe('text/plain', () => {
  it('reads JSON when the text is JSON (SaltGUI posts that way)', async () => {
    expect((await parsed('[{"client": "local"}]', 'text/plain;charset=UTF-8')).body).toEqual([{ client: 'local' }]);
  });

  it('keeps other text as a string', async () => {
    expect(await parsed('hello, world', 'text/plain')).toEqual({ body: 'hello, world', raw: 'hello, world' });
  });
});

describe('application/x-www-form-urlencoded', () => {
  const form = 'application/x-www-form-urlencoded';

  it('turns repeated fields into lists and single ones into strings', async () => {
    expect((await parsed('client=local&tgt=*&fun=test.ping&timeout=60&x=1&x=2', form)).body).toEqual({
      client: 'local',
      tgt: '*',
      fun: 'test.ping',
      timeout: '60',
      x: ['1', '2'],
    });
  });

  it('yamlifies arg item by item and always makes it a list', async () => {
    expect((await parsed('arg=1&arg=%5Ba%2Cb%5D&arg=k%3Dv', form)).body).toEqual({ arg: [1, ['a', 'b'], 'k=v'] });
    expect((await parsed('arg=yes', form)).body).toEqual({ arg: [true] });
    expect((await parsed('arg=k=v', form)).body).toEqual({ arg: ['k=v'] });
  });

  it('yamlifies kwarg', async () => {
    expect((await parsed('kwarg=%7Bx%3A+1%7D', form)).body).toEqual({ kwarg: { x: 1 } });
  });

  it('gives bracket keys no special meaning', async () => {
    expect((await parsed('arg[]=a&arg[]=b', form)).body).toEqual({ 'arg[]': ['a', 'b'] });
  });

  it('drops empty fields as parse_qsl does and keeps the raw form string', async () => {
    expect(await parsed('a=&b=2&c', form)).toEqual({ body: { b: '2' }, raw: 'a=&b=2&c' });
  });

  it('decodes + and percent escapes, keeping a field named __proto__ as data', async () => {
    expect((await parsed('tgt=web+1&fun=%C3%A9&__proto__=x', form)).body).toEqual(
      JSON.parse('{"tgt": "web 1", "fun": "é", "__proto__": "x"}'),
    );
  });
});

describe('bodies salt-api does not read', () => {
  it('treats an empty body as no data', async () => {
    expect(await parsed('', 'application/json')).toEqual({ body: '<no data>', raw: '' });
    const bare = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-length': '0' } });
    expect(bare.json()).toEqual({ body: '<no data>', raw: '' });
  });

  it('answers 406 "Content type not supported" to other media types', async () => {
    for (const contentType of ['application/xml', 'multipart/form-data; boundary=x', 'text/html', 'nonsense']) {
      const response = await post('<a/>', { 'content-type': contentType });
      expect(response.statusCode, contentType).toBe(406);
      expect(response.body).toContain('<p>Content type not supported</p>');
    }
  });

  it('answers 406 to a body without Content-Type', async () => {
    const response = await app.inject({ method: 'POST', url: '/echo', payload: Buffer.from('{"a": 1}') });
    expect(response.statusCode).toBe(406);
    expect(response.body).toContain('<p>Content type not supported</p>');
  });

  it('answers 413 in the envelope when the body is over max_request_body_size', async () => {
    const response = await post(JSON.stringify({ data: 'x'.repeat(64) }), { 'content-type': 'application/json' });
    expect(response.statusCode).toBe(413);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers.connection).toBe('close');
    expect(response.body).toBe(
      '{"status": 413, "return": "The request body exceeds max_request_body_size (64 bytes)."}',
    );
  });

  it('accepts a body of exactly max_request_body_size', async () => {
    const payload = JSON.stringify({ d: 'x'.repeat(56) });
    expect(Buffer.byteLength(payload)).toBe(64);
    expect((await parsed(payload, 'application/json')).body).toEqual({ d: 'x'.repeat(56) });
  });

  it('does not parse bodies sent to unknown paths', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/nowhere',
      payload: '{bad',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.statusCode).toBe(404);
  });
});
