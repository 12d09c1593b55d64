import type { FastifyReply } from 'fastify';

/**
 * The headers the hooks set on a reply (CORS, session cookie, Server, Allow…), for the answers
 * written by hand past Fastify: hijacked event streams and WebSocket upgrades.
 */
export function headersSetOn(reply: FastifyReply): Array<[string, string | string[]]> {
  const headers: Array<[string, string | string[]]> = [];
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) headers.push([name, Array.isArray(value) ? value : String(value)]);
  }
  return headers;
}
