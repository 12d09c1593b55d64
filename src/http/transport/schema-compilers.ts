/**
 * Fastify's schema compilers, loaded the first time a schema needs one. Fastify builds its
 * default compilers (Ajv and fast-json-stringify, some 90 modules and 40 ms) as soon as an
 * instance is created, schemas or not; salt-apid's routes declare none, so with these factories
 * they are never loaded. Should a route ever declare a schema, the same compilers Fastify would
 * have used are loaded then, once.
 *
 * One difference remains: Fastify takes factories it was given for custom ones, and leaves the
 * header names of a `headers` schema as written (it lower-cases them for its own Ajv). A route
 * that validates headers should write them in lower case.
 */
import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

/** What both packages export: a function that makes a factory (with its pool of compilers). */
type Factory = (...args: unknown[]) => unknown;

let fastifyRequire: NodeJS.Require | undefined;

/**
 * One of Fastify's own dependencies (they are not salt-apid's), resolved from where Fastify is, when first
 * needed: the start-up bundle carries Fastify inside it, and the packages ship no node_modules/fastify.
 */
function requireFromFastify(packageName: string): unknown {
  fastifyRequire ??= createRequire(createRequire(import.meta.url).resolve('fastify'));
  return fastifyRequire(packageName);
}

/** A factory that loads `packageName` and makes the real factory on its first call, once. */
function loadedOnFirstCall(packageName: string): Factory {
  let factory: Factory | undefined;
  return (...args) => {
    factory ??= (requireFromFastify(packageName) as () => Factory)();
    return factory(...args);
  };
}

/** The `schemaController.compilersFactory` option: Fastify's defaults, loaded when first asked for. */
export function lazySchemaCompilers(): CompilersFactory {
  return {
    buildValidator: loadedOnFirstCall('@fastify/ajv-compiler') as NonNullable<CompilersFactory['buildValidator']>,
    buildSerializer: loadedOnFirstCall('@fastify/fast-json-stringify-compiler') as NonNullable<
      CompilersFactory['buildSerializer']
    >,
  };
}
