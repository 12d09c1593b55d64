#!/usr/bin/env node
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { DemoMaster } from './demo-master.js';
import { parseCapacity } from './capacity.js';
import { minionIds } from './options.js';
import { parseMinionCount } from '../config/cli-args.js';

/**
 * The demo master as a process of its own, the way a real master runs beside salt-apid:
 *   node dist/demo/standalone.js --sock-dir DIR [--ret-port N] [--write-config FILE --api-port N]
 *     [--capacity default | publish=40,return=10,cores=2,job=50,find_job=50,shared=1] [--minions N]
 *     [--cachedir DIR]
 * Prints one JSON line ({retPort, sockDir, pid}) once it listens; SIGTERM stops it; SIGUSR2 drops
 * its event bus for --bus-down-ms (3000), as when a master's event publisher dies and is restarted. With
 * --write-config it also writes a master config pointing salt-apid at it. With --cachedir it keeps its
 * job cache there too, as Salt's local_cache does, so that the original salt-api (whose LocalClient
 * reads it) can be pointed at it as well.
 */
const { values } = parseArgs({
  options: {
    'sock-dir': { type: 'string' },
    'ret-port': { type: 'string', default: '0' },
    'write-config': { type: 'string' },
    'api-port': { type: 'string', default: '8000' },
    'return-delay-ms': { type: 'string', default: '5' },
    capacity: { type: 'string' },
    'bus-down-ms': { type: 'string', default: '3000' },
    minions: { type: 'string' },
    cachedir: { type: 'string' },
  },
});

const capacityText = values.capacity;

const demo = await DemoMaster.start({
  ...(values['sock-dir'] !== undefined && { sockDir: values['sock-dir'] }),
  retPort: Number(values['ret-port']),
  returnDelayMs: Number(values['return-delay-ms']),
  ...(capacityText !== undefined && { capacity: parseCapacity(capacityText === 'default' ? '' : capacityText) }),
  ...(values.minions !== undefined && { minions: minionIds(parseMinionCount(values.minions)) }),
  ...(values.cachedir !== undefined && { cachedir: values.cachedir }),
});

if (values['write-config'] !== undefined) {
  const config = [
    '# Written by the standalone demo master: a master config for salt-apid pointing at it.',
    'interface: 127.0.0.1',
    `ret_port: ${demo.retPort}`,
    `sock_dir: ${demo.sockDir}`,
    ...(values.cachedir !== undefined ? [`cachedir: ${values.cachedir}`] : []),
    'netapi_enable_clients: [local, local_async, local_batch, local_subset, runner, runner_async, wheel, wheel_async]',
    'external_auth:',
    '  pam:',
    "    saltdev: ['.*', '@wheel', '@runner', '@jobs']",
    '  auto:',
    '    nobody: []',
    'rest_cherrypy:',
    `  port: ${values['api-port']}`,
    '  host: 127.0.0.1',
    '  disable_ssl: true',
    '',
  ].join('\n');
  await writeFile(values['write-config'], config);
}

process.stdout.write(`${JSON.stringify({ retPort: demo.retPort, sockDir: demo.sockDir, pid: process.pid })}\n`);
const stop = (): void => {
  void demo.stop().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGUSR2', () => {
  void demo.dropBus().then(() => setTimeout(() => void demo.resumeBus(), Number(values['bus-down-ms'])));
});
process.on('SIGINT', stop);
