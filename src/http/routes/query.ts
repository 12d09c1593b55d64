/** Query strings as CherryPy hands them to a handler: declared parameters only, the last value wins. */
import type { RouteGenericInterface } from 'fastify';
import { unexpectedQueryError } from '../transport/errors.js';

/** A query string as Fastify parses it: a repeated name gives an array. */
export type Query = Readonly<Record<string, string | string[] | undefined>>;

/** The route generic of a route that reads its query string. */
export interface QueryRoute extends RouteGenericInterface {
  Querystring: Query;
}

/** CherryPy's 404 for query parameters the handler does not declare. */
export function refuseUndeclaredQuery(query: Query, declared: readonly string[], debug: boolean): void {
  const names = Object.keys(query).filter((name) => !declared.includes(name));
  if (names.length > 0) throw unexpectedQueryError(names, debug);
}

/** A query parameter's value as CherryPy passes it (the last one when repeated). */
export function lastValue(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' || value === undefined ? value : value[value.length - 1];
}
