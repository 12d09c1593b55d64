/**
 * Fastify's own line per request ("incoming request", "request completed") at debug instead of
 * info. At the default level the access line (access-log.ts) is then a request's only line, as
 * salt-api writes one; `-l debug` (or `log_level: debug`) brings Fastify's two back. A request
 * that fails still logs "request errored" at error.
 */
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

export class RequestLogController extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) {
      super.requestCompleted(error, request, reply);
      return;
    }
    reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
