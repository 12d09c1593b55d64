import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pack } from '../salt/codec/pack.js';
import type { SaltMap } from '../salt/codec/values.js';

/**
 * The master's job cache on disk, in the layout of Salt's `local_cache` returner: for each job,
 * `<cachedir>/jobs/<h[:2]>/<h[2:]>/` (h = the jid's `hash_type` digest) holding `jid`, `.load.p`
 * (the publish load, msgpack) and `.minions.p` (the targeted minions, msgpack). Salt's own
 * LocalClient reads `.load.p` there before it waits for a job's returns (a missing one is "jid does
 * not exist", and no return is taken), so the original salt-api pointed at the demo master needs
 * it; salt-apid does not read it.
 */
export class JobCacheFiles {
  constructor(
    private readonly cachedir: string,
    private readonly hashType: string,
  ) {}

  /** The folder of one job, as `salt.utils.jid.jid_dir` names it. */
  dirOf(jid: string): string {
    const digest = createHash(this.hashType).update(jid, 'utf8').digest('hex');
    return join(this.cachedir, 'jobs', digest.slice(0, 2), digest.slice(2));
  }

  async save(jid: string, load: SaltMap, minions: readonly string[]): Promise<void> {
    const dir = this.dirOf(jid);
    await mkdir(dir, { recursive: true });
    await Promise.all([
      writeFile(join(dir, 'jid'), jid),
      writeFile(join(dir, '.load.p'), pack(load, { useBinType: true })),
      writeFile(join(dir, '.minions.p'), pack([...minions], { useBinType: true })),
    ]);
  }
}
