import { constants, existsSync } from 'node:fs';
import { chmod, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CONFIG_VALUE_LIMITS } from '../../../value-bounds.js';
import { dumpYaml } from '../../../python/yaml-dump.js';
import { loadYaml, SALT_YAML_SCHEMA } from '../../../python/yaml11.js';
import { InvalidRequestError } from '../../errors.js';

/**
 * Secrets for salt-ssh (`ssh_passwd`, `ssh_priv_passwd`) travel in a Saltfile, not on the command
 * line: a YAML file of command-line options that salt-ssh reads itself (`salt-ssh:` section, keys
 * named as the options' destinations). The file lives in a fresh private folder (0700, file 0600)
 * and is deleted when salt-ssh ends. The Saltfile salt-ssh would have read anyway (`SALT_SALTFILE`,
 * `./Saltfile`, `~/.salt/Saltfile`, salt-ssh's own order: the operator's, never a caller's) is its
 * base, so passing a password changes nothing else. A chunk's `saltfile` is ignored, as salt-api
 * ignores it (its `SSHClient` copies it into opts, which nothing reads): a caller cannot have the
 * master host's files read, nor learn whether one exists.
 *
 * The base is opened without blocking, and whatever keeps it from being used — unreadable, not a
 * regular file (a directory, a FIFO, a device), too large, not YAML, not a mapping — gets the one
 * answer {@link SALTFILE_UNUSABLE}.
 */

const MAX_SALTFILE_BYTES = 1024 * 1024;
const SECTION = 'salt-ssh';

/** The one answer to a Saltfile that cannot be used, whatever the reason. */
export const SALTFILE_UNUSABLE = 'The Saltfile for salt-ssh could not be read';

/**
 * The bytes of a regular file of at most {@link MAX_SALTFILE_BYTES}. Opened without blocking and
 * checked on the open descriptor, so that a FIFO cannot hold the request and a device (an endless
 * `/dev/zero`) is never read.
 */
async function readRegularFile(file: string): Promise<Buffer> {
  const handle = await open(resolve(file), constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size > MAX_SALTFILE_BYTES) throw new Error('not a usable file');
    const buffer = Buffer.alloc(MAX_SALTFILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_SALTFILE_BYTES) throw new Error('too large');
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

/** The Saltfile salt-ssh would pick up without `--saltfile` (`SaltfileMixIn.process_saltfile`). */
function defaultSaltfile(): string | undefined {
  const fromEnv = process.env['SALT_SALTFILE'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  for (const candidate of [join(process.cwd(), 'Saltfile'), join(homedir(), '.salt', 'Saltfile')]) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

async function readBase(file: string | undefined): Promise<Map<string, unknown>> {
  // salt-ssh reads no Saltfile for an empty `--saltfile`.
  if (file === undefined || file === '') return new Map();
  let value: unknown;
  try {
    const bytes = await readRegularFile(file);
    value = loadYaml(bytes.toString('utf8'), undefined, SALT_YAML_SCHEMA, CONFIG_VALUE_LIMITS);
  } catch {
    value = undefined;
  }
  if (value === null) return new Map();
  // salt-ssh itself stops on a Saltfile it cannot use; so does this call, without its path or why.
  if (typeof value !== 'object' || Array.isArray(value)) throw new InvalidRequestError(SALTFILE_UNUSABLE);
  return new Map(Object.entries(value));
}

export interface SecretSaltfile {
  /** `--saltfile=<path>`. */
  flag: string;
  remove(): Promise<void>;
}

/** Writes `secrets` into a private copy of the Saltfile salt-ssh would read. */
export async function writeSecretSaltfile(
  secrets: ReadonlyMap<string, string>,
  saltfile: string | undefined = defaultSaltfile(),
): Promise<SecretSaltfile> {
  const base = await readBase(saltfile);
  const section = base.get(SECTION);
  const options = new Map<string, unknown>(
    section !== null && typeof section === 'object' && !Array.isArray(section) ? Object.entries(section) : [],
  );
  for (const [name, value] of secrets) options.set(name, value);
  base.set(SECTION, Object.fromEntries(options));
  const dir = await mkdtemp(join(tmpdir(), 'salt-apid-ssh-'));
  const file = join(dir, 'Saltfile');
  try {
    await writeFile(file, dumpYaml(Object.fromEntries(base)), { mode: 0o600 });
    await chmod(file, 0o600);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return { flag: `--saltfile=${file}`, remove: () => rm(dir, { recursive: true, force: true }) };
}
