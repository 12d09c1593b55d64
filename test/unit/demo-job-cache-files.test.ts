import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JobCacheFiles } from '../../src/demo/job-cache-files.js';
import { unpack } from '../../src/salt/codec/unpack.js';
import { tempDirsPerTest } from '../support/temp-dirs.js';

/** The demo master's job cache on disk, in Salt's local_cache layout. */

const tempDir = tempDirsPerTest('salt-demo-cache-');

describe('JobCacheFiles', () => {
  it('writes a job where salt.utils.jid.jid_dir looks: the load, the minions and the jid', async () => {
    const cachedir = await tempDir();
    const files = new JobCacheFiles(cachedir, 'sha256');
    const jid = '20261207040000123456';
    const load = { fun: 'test.ping', arg: [], tgt: '*', tgt_type: 'glob', user: 'saltdev', jid };
    await files.save(jid, load, ['minion-1', 'minion-2']);
    const digest = createHash('sha256').update(jid).digest('hex');
    const dir = join(cachedir, 'jobs', digest.slice(0, 2), digest.slice(2));
    expect(files.dirOf(jid)).toBe(dir);
    expect(await readFile(join(dir, 'jid'), 'utf8')).toBe(jid);
    expect({ ...(unpack(await readFile(join(dir, '.load.p'))) as object) }).toEqual(load);
    expect(unpack(await readFile(join(dir, '.minions.p')))).toEqual(['minion-1', 'minion-2']);
  });
});
