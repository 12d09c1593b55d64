import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { appPlugins, type AppPlugin } from '../../src/http/app.js';
import { appContextPlugin } from '../../src/http/context.js';
import { PLUGIN } from '../../src/http/plugin-names.js';
import { statsRoutes } from '../../src/http/routes/stats.js';
import { statsPlugin } from '../../src/http/stats/stats-plugin.js';
import { testSettings } from '../support/settings.js';

/**
 * The order of the application's plugins is Fastify's to check, not a comment's: each plugin
 * names what must come before it (fastify-plugin `dependencies`, `decorators`), and a plugin
 * registered too early fails `ready()`.
 */
interface PluginMeta {
  name: string;
  dependencies?: string[];
}

const metaOf = (entry: AppPlugin): PluginMeta =>
  (entry.plugin as Record<symbol, PluginMeta | undefined>)[Symbol.for('plugin-meta')] ?? { name: '(unnamed)' };

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function appWith(plugins: readonly AppPlugin[]): FastifyInstance {
  const app = Fastify();
  apps.push(app);
  for (const { register } of plugins) void register(app);
  return app;
}

const plugins = (): AppPlugin[] =>
  appPlugins({
    settings: testSettings({ rest: { app: '/nonexistent/index.html' } }),
    logger: pino({ level: 'silent' }),
  });

/** Every (plugin, dependency) pair of the application. */
function dependencyEdges(): Array<[plugin: string, dependency: string]> {
  return plugins().flatMap((entry) => {
    const { name, dependencies = [] } = metaOf(entry);
    return dependencies.map((dependency): [string, string] => [name, dependency]);
  });
}

describe('plugin order', () => {
  it("names every plugin, and buildApp's order satisfies every dependency", async () => {
    const names = plugins().map((entry) => metaOf(entry).name);
    expect(new Set(names)).toEqual(new Set(Object.values(PLUGIN)));
    await expect(appWith(plugins()).ready()).resolves.toBeDefined();
  });

  it('declares the order that matters, and no order that does not', () => {
    const edges = dependencyEdges();
    for (const edge of [
      [PLUGIN.cors, PLUGIN.stats],
      [PLUGIN.cors, PLUGIN.accessLog],
      [PLUGIN.cors, PLUGIN.errorHandling],
      [PLUGIN.authorizedIps, PLUGIN.clientCertCheck],
      [PLUGIN.htmlOverride, PLUGIN.cors],
      [PLUGIN.api, PLUGIN.bodyParsers],
      [PLUGIN.api, PLUGIN.authorizedIps],
      [PLUGIN.api, PLUGIN.htmlOverride],
    ]) {
      expect(edges).toContainEqual(edge);
    }
    // The body parsers answer nothing before a route is found (decision 0022): no early place.
    expect(edges.filter(([name]) => name === PLUGIN.bodyParsers)).toEqual([]);
    expect(edges).not.toContainEqual([PLUGIN.htmlOverride, PLUGIN.bodyParsers]);
  });

  it.each(dependencyEdges())('fails ready() when %s comes before %s', async (name, dependency) => {
    const ordered = plugins();
    const at = ordered.findIndex((entry) => metaOf(entry).name === dependency);
    const moved = ordered.filter((entry) => metaOf(entry).name !== name);
    moved.splice(
      at,
      0,
      ordered.find((entry) => metaOf(entry).name === name)!,
    );
    const error = await appWith(moved)
      .ready()
      .then(
        () => undefined,
        (err: unknown) => err as { code?: string; message: string },
      );
    expect(error?.code).toMatch(/^FST_ERR_PLUGIN_(DEPENDENCY_NOT_REGISTERED|NOT_PRESENT_IN_INSTANCE)$/);
    expect(error?.message).toContain(`'${name}'`);
  });

  it('refuses the stats counters without the decorations they read', async () => {
    const app = Fastify();
    apps.push(app);
    void app.register(statsPlugin, { serverVersion: 'test' });
    await expect(app.ready()).rejects.toMatchObject({
      code: 'FST_ERR_PLUGIN_NOT_PRESENT_IN_INSTANCE',
      message: expect.stringContaining(PLUGIN.stats),
    });
  });

  it('refuses /stats without the counters', async () => {
    const app = Fastify();
    apps.push(app);
    void app.register(appContextPlugin, { settings: testSettings() });
    void app.register(statsRoutes);
    await expect(app.ready()).rejects.toMatchObject({
      code: 'FST_ERR_PLUGIN_NOT_PRESENT_IN_INSTANCE',
      message: expect.stringContaining("'serverStats'"),
    });
  });
});
