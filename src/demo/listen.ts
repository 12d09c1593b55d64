import { chmod, unlink } from 'node:fs/promises';
import type { AddressInfo, Server } from 'node:net';

/** Where a demo master socket listens: a unix socket path, or host and port (tcp mode). */
export type BusAddress = string | { host: string; port: number };

/**
 * Listens at `address`: a unix socket replaces what stood at its path and gets `mode`; a port of 0
 * is resolved. Returns the address as listened on.
 */
export async function listen(server: Server, address: BusAddress, mode: number): Promise<BusAddress> {
  if (typeof address === 'string') await unlink(address).catch(() => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const ready = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (typeof address === 'string') server.listen(address, ready);
    else server.listen(address.port, address.host, ready);
  });
  if (typeof address === 'string') {
    await chmod(address, mode);
    return address;
  }
  return { host: address.host, port: (server.address() as AddressInfo).port };
}

/** Stops listening (waiting for the connections still open) and removes a unix socket's path. */
export async function closeServer(server: Server, address: BusAddress): Promise<void> {
  // A server already closed (a dropped bus being stopped) calls back with an error: nothing to do.
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address === 'string') await unlink(address).catch(() => undefined);
}
