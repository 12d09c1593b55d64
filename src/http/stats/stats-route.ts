/** Requests no route matched are counted under this key, never under their URL. */
export const UNMATCHED_ROUTE = '(no route)';

/** The `/stats` counters of one route (its template, never a URL: tokens can travel in URLs). */
export class RouteCounter {
  constructor(readonly url: string) {}
  requests = 0;
  completed = 0;
  clientErrors = 0;
  serverErrors = 0;
  timeMs = 0;
}
