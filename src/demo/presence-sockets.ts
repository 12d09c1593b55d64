import { unlink } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';

/**
 * Sockets a real master keeps in its `sock_dir` that salt-api looks for before it sends anything:
 * `workers.ipc` (the request workers: `NetapiClient._is_master_running`) and `publish_pull.ipc`
 * (the publisher: LocalClient's `pub`). The demo master answers requests on its TCP port, so here
 * they only exist, and close whatever connects. salt-apid does not look for them.
 */
const PRESENCE_SOCKETS = ['workers.ipc', 'publish_pull.ipc'];

export class PresenceSockets {
  private constructor(private readonly servers: Array<{ server: Server; path: string }>) {}

  static async open(sockDir: string): Promise<PresenceSockets> {
    const servers: Array<{ server: Server; path: string }> = [];
    for (const name of PRESENCE_SOCKETS) {
      const path = join(sockDir, name);
      await unlink(path).catch(() => undefined);
      const server = createServer((socket) => socket.destroy());
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => {
          server.off('error', reject);
          resolve();
        });
      });
      servers.push({ server, path });
    }
    return new PresenceSockets(servers);
  }

  async close(): Promise<void> {
    await Promise.all(
      this.servers.map(
        ({ server, path }) =>
          new Promise<void>((resolve) =>
            server.close(
              () =>
                void unlink(path)
                  .catch(() => undefined)
                  .then(() => resolve()),
            ),
          ),
      ),
    );
  }
}
