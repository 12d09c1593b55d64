import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Settings } from './config/types.js';
import { buildApp } from './http/app.js';
import { SaltMaster } from './salt/master.js';

/**
 * salt-apid assembled: the connection to the master, the HTTP application on top of it, and
 * an orderly shutdown (stop accepting, let in-flight requests finish, then drop the master).
 */
export interface RunningServer {
  app: FastifyInstance;
  master: SaltMaster;
  /** e.g. `http://127.0.0.1:8000` */
  url: string;
  close(): Promise<void>;
}

export interface StartServerOptions {
  settings: Settings;
  logger: Logger;
}

export async function startServer({ settings, logger }: StartServerOptions): Promise<RunningServer> {
  const master = SaltMaster.fromSettings(settings.master, logger.child({ component: 'master' })).start();
  const app = await buildApp({ settings, logger });
  try {
    await app.listen({ host: settings.rest.host, port: settings.rest.port, backlog: settings.rest.socketQueueSize });
  } catch (err) {
    master.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : settings.rest.port;
  const host = settings.rest.host.includes(':') ? `[${settings.rest.host}]` : settings.rest.host;
  let closing: Promise<void> | undefined;
  return {
    app,
    master,
    url: `http://${host}:${port}`,
    close() {
      closing ??= app.close().finally(() => master.close());
      return closing;
    },
  };
}
