/**
 * Records every module a process loads, one URL or file path a line, in the file named by
 * SALT_APID_MODULE_LOG: `node --import ./test/support/module-log.mjs …`. ES modules are seen
 * through a load hook (a synchronous one, as ts-loader.mjs's); CommonJS files required from other
 * CommonJS files never reach that hook, so they are seen where Node compiles them.
 */
import { appendFileSync } from 'node:fs';
import Module, { registerHooks } from 'node:module';

const LOG = process.env.SALT_APID_MODULE_LOG;

if (LOG !== undefined) {
  registerHooks({
    load(url, context, next) {
      appendFileSync(LOG, `${url}\n`);
      return next(url, context);
    },
  });
  const compile = Module.prototype._compile;
  Module.prototype._compile = function (content, filename) {
    appendFileSync(LOG, `${filename}\n`);
    return compile.call(this, content, filename);
  };
}
