import type { MasterContext } from './master-context.js';
import { Publisher } from './publisher.js';
import type { ClearCommand } from './request-server.js';
import { RunnerService } from './runners.js';
import { WheelService } from './wheel.js';

/**
 * The clear commands the master answers (`salt.master.ClearFuncs` minus `_auth` and the
 * internal `publish_batch`); any other `cmd` gets `{}`.
 */
export function clearFuncs(ctx: MasterContext): Map<string, ClearCommand> {
  const publisher = new Publisher(ctx);
  const runners = new RunnerService(ctx, publisher);
  const wheel = new WheelService(ctx);
  return new Map<string, ClearCommand>([
    ['ping', (load) => Promise.resolve(load)],
    ['mk_token', (load) => ctx.auth.mkToken(load)],
    ['get_token', (load) => Promise.resolve(ctx.auth.getToken(load))],
    ['publish', (load) => publisher.publish(load)],
    ['runner', (load) => runners.runner(load)],
    ['wheel', (load) => wheel.wheel(load)],
  ]);
}
