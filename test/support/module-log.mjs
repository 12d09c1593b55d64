/**
 * Records every module a process loads, one URL or file path a line, in the file named by
 * SALT_APID_MODULE_LOG: `node --import ./test/support/module-log.mjs …`. ES modules are seen
 * through a load hook; CommonJS files required from other CommonJS files never reach that hook,
 * so they are seen where Node compiles them.
 */
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';

const LOG = process.env.SALT_APID_MODULE_LOG;

if (import.meta.url.includes('?hooks')) {
  // In the hooks thread: the ES modules.
} else if (LOG !== undefined) {
  register(`${import.meta.url}?hooks`, import.meta.url);
  const compile = Module.prototype._compile;
  Module.prototype._compile = function (content, filename) {
    appendFileSync(LOG, `${filename}\n`);
    return compile.call(this, content, filename);
  };
}

export async function load(url, context, next) {
  if (LOG !== undefined) appendFileSync(LOG, `${url}\n`);
  return next(url, context);
}
