/**
 * The access log (access-log.ts) as a named plugin. The plugins whose hooks may answer early name
 * it in their dependencies, so that its hook sees every request.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { installAccessLog, type AccessLogOptions } from './access-log.js';
import { PLUGIN } from '../plugin-names.js';

async function accessLog(app: FastifyInstance, options: AccessLogOptions): Promise<void> {
  installAccessLog(app, options);
}

export const accessLogPlugin = fp(accessLog, { name: PLUGIN.accessLog });
