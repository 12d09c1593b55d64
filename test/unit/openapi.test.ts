import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import type { Settings } from '../../src/config/types.js';
import { openApiDocument } from '../../src/http/openapi/document.js';
import { appOperations, documentOperations, openApiPath } from '../support/routes.js';
import { testSettings } from '../support/settings.js';

interface Parameter {
  name: string;
  in: string;
}
interface Operation {
  operationId: string;
  parameters?: Parameter[];
}
type PathItem = Record<string, Operation | Parameter[]>;

/** The demo's settings (event_hub and a webhook rule on), and variants that change the routes. */
const VARIANTS: Array<[string, Settings]> = [
  ['demo defaults', testSettings()],
  ['root_prefix /api', testSettings({ rest: { rootPrefix: '/api/' } })],
  ['enable_sessions false', testSettings({ rest: { enableSessions: false } })],
  ['event_hub off', testSettings({ rest: { eventHub: undefined, webhooks: [] } })],
  [
    'moved paths, static, favicon, no auth',
    testSettings({
      rest: {
        rootPrefix: '/salt',
        webhookUrl: '/incoming',
        metricsPath: '/prom/metrics',
        appPath: '/ui',
        staticPath: '/assets',
        static: '/nonexistent/static',
        favicon: '/nonexistent/favicon.ico',
        eventsUrlTokens: false,
        statsDisableAuth: true,
        metricsDisableAuth: true,
        webhookDisableAuth: true,
      },
    }),
  ],
];

/**
 * One validator for the file: it compiles the OpenAPI schema once, at its first document, and keeps
 * it (each `validate` starts afresh from its document).
 */
const validator = new Validator();

describe('the OpenAPI description', () => {
  it.each(VARIANTS)('is valid OpenAPI 3.1 (%s)', async (_name, settings) => {
    const result = await validator.validate(openApiDocument(settings));
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
  });

  it.each(VARIANTS)('is valid OpenAPI 3.1 for callers without credentials too (%s)', async (_name, settings) => {
    const result = await validator.validate(openApiDocument(settings, 'public'));
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(documentOperations(openApiDocument(settings, 'public'))).toEqual(
      documentOperations(openApiDocument(settings)),
    );
  });

  it('is checked by a validator that refuses a broken document', async () => {
    const { info: _info, ...withoutInfo } = openApiDocument(testSettings());
    expect((await validator.validate(withoutInfo)).valid).toBe(false);
  });

  it.each(VARIANTS)("describes exactly the app's routes and methods (%s)", async (_name, settings) => {
    const served = await appOperations(settings);
    const described = documentOperations(openApiDocument(settings));
    expect([...served].filter((key) => !described.has(key)).sort()).toEqual([]);
    expect([...described].filter((key) => !served.has(key)).sort()).toEqual([]);
  });

  it.each(VARIANTS)('declares each path template parameter, and has unique operation ids (%s)', (_name, settings) => {
    const paths = openApiDocument(settings)['paths'] as Record<string, PathItem>;
    const ids: string[] = [];
    for (const [path, item] of Object.entries(paths)) {
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
      const shared = (item['parameters'] ?? []) as Parameter[];
      for (const [method, entry] of Object.entries(item)) {
        if (Array.isArray(entry)) continue;
        const op: Operation = entry;
        ids.push(op.operationId);
        const declared = [...shared, ...(op.parameters ?? [])]
          .filter((parameter) => parameter.in === 'path')
          .map((parameter) => parameter.name)
          .sort();
        expect(declared, `${method.toUpperCase()} ${path}`).toEqual(templated);
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('follows the settings: server URL, conditional routes', () => {
    const doc = openApiDocument(VARIANTS[4]![1]) as { servers: Array<{ url: string }>; paths: object };
    expect(doc.servers[0]!.url).toBe('/salt');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/incoming', '/incoming/{path}', '/prom/metrics', '/ui/{path}', '/assets/{path}']),
    );
    const off = openApiDocument(VARIANTS[3]![1]) as { paths: object };
    expect(Object.keys(off.paths)).not.toContain('/{event}/trigger');
    const noSessions = openApiDocument(VARIANTS[2]![1]) as { paths: object };
    expect(Object.keys(noSessions.paths)).not.toContain('/login');
  });

  it("maps Fastify's route syntax to OpenAPI paths", () => {
    expect(openApiPath('/api', '/api')).toBe('/');
    expect(openApiPath('/api/minions/:mid/*', '/api')).toBe('/minions/{mid}/{path}');
    expect(openApiPath('/all_events/:token(^[0-9A-Fa-f]{64}$)', '')).toBe('/all_events/{token}');
  });
});
