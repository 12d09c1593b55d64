import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { closeServer, listen } from './listen.js';

/**
 * Sockets a real master keeps in its `sock_dir` that salt-api looks for before it sends anything:
 * `workers.ipc` (the request workers: `NetapiClient._is_master_running`) and `publish_pull.ipc`
 * (the publisher: LocalClient's `pub`). The demo master answers requests on its TCP port, so here
 * they only exist, and close whatever connects. salt-apid does not look for them.
 */
const PRESENCE_SOCKETS = ['workers.ipc', 'publish_pull.ipc'];

export class PresenceSockets {
  private readonly servers: Array<{ server: Server; path: string }> = [];

  static async open(sockDir: string): Promise<PresenceSockets> {
    const presence = new PresenceSockets();
    for (const name of PRESENCE_SOCKETS) {
      const server = createServer((socket) => socket.destroy());
      const path = join(sockDir, name);
      try {
        await listen(server, path, 0o660);
      } catch (err) {
        await presence.close();
        throw err;
      }
      presence.servers.push({ server, path });
    }
    return presence;
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.splice(0).map(({ server, path }) => closeServer(server, path)));
  }
}
