import { rm } from 'node:fs/promises';
import { DemoMaster, type DemoMasterOptions } from '../../src/demo/demo-master.js';
import { SaltMaster } from '../../src/salt/master.js';
import type { BusAddress } from '../../src/salt/event-bus.js';
import type { EventFraming } from '../../src/salt/event-frame.js';

/** The demo master's bus address in the wire layer's terms. */
export function busAddress(address: string | { host: string; port: number }): BusAddress {
  return typeof address === 'string' ? { path: address } : address;
}

/** A wire-layer connection (request channel + event bus) to a running demo master. */
export function connectTo(demo: DemoMaster, pullFraming: EventFraming | 'auto' = 'auto'): SaltMaster {
  return new SaltMaster({
    requestEndpoint: demo.retEndpoint,
    pub: busAddress(demo.pubAddress),
    pull: busAddress(demo.pullAddress),
    pullFraming,
    requestTimeoutMs: 5_000,
  }).start();
}

/** Starts a demo master and returns it with a cleanup that also removes its socket directory. */
export async function startDemo(
  options: DemoMasterOptions = {},
): Promise<{ demo: DemoMaster; cleanup: () => Promise<void> }> {
  const demo = await DemoMaster.start({ returnDelayMs: 1, ...options });
  return {
    demo,
    cleanup: async () => {
      await demo.stop();
      if (options.sockDir === undefined) await rm(demo.sockDir, { recursive: true, force: true });
    },
  };
}
