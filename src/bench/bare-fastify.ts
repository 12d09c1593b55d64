/**
 * The per-request floor's yardstick (issue 24): a bare Fastify hello-world that answers `GET /` with
 * the body and content type salt-apid answers it with, and nothing else (no hooks, no logger, no
 * plugins). Started by the bench as a process of its own:
 *
 *   node dist/bench/bare-fastify.js PORT CONTENT_TYPE BODY
 *
 * It prints `ready` once it listens.
 */
import Fastify from 'fastify';

const [port, contentType, body] = process.argv.slice(2);
const app = Fastify({ logger: false });
app.get('/', (_request, reply) => {
  void reply.type(contentType ?? 'application/json').send(body ?? '');
});
await app.listen({ port: Number(port), host: '127.0.0.1' });
process.stdout.write('ready\n');
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
