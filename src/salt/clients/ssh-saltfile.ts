import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CONFIG_VALUE_LIMITS } from '../../value-bounds.js';
import { dumpYaml, loadYaml, SALT_YAML_SCHEMA } from '../../python/yaml11.js';
import { InvalidRequestError } from '../errors.js';

/**
 * Secrets for salt-ssh (`ssh_passwd`, `ssh_priv_passwd`) travel in a Saltfile, not on the command
 * line: a YAML file of command-line options that salt-ssh reads itself (`salt-ssh:` section, keys
 * named as the options' destinations). The file lives in a fresh private folder (0700, file 0600)
 * and is deleted when salt-ssh ends. The Saltfile salt-ssh would have read anyway (the chunk's
 * `saltfile`, else `SALT_SALTFILE`, `./Saltfile`, `~/.salt/Saltfile`, salt-ssh's own order) is its
 * base, so passing a password changes nothing else.
 */

const MAX_SALTFILE_BYTES = 1024 * 1024;
const SECTION = 'salt-ssh';

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
  if (file === undefined) return new Map();
  let value: unknown;
  try {
    const bytes = await readFile(resolve(file));
    if (bytes.length > MAX_SALTFILE_BYTES) throw new Error('too large');
    value = loadYaml(bytes.toString('utf8'), undefined, SALT_YAML_SCHEMA, CONFIG_VALUE_LIMITS);
  } catch {
    // salt-ssh itself stops on a Saltfile it cannot read; so does this call, without its path.
    throw new InvalidRequestError('The Saltfile for salt-ssh could not be read');
  }
  if (value === null) return new Map();
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidRequestError('The Saltfile for salt-ssh is not a mapping');
  }
  return new Map(Object.entries(value));
}

export interface SecretSaltfile {
  /** `--saltfile=<path>`, to replace any `--saltfile` flag of the chunk. */
  flag: string;
  remove(): Promise<void>;
}

/** Writes `secrets` into a private copy of the Saltfile salt-ssh would read. */
export async function writeSecretSaltfile(
  secrets: ReadonlyMap<string, string>,
  chunkSaltfile: string | undefined,
): Promise<SecretSaltfile> {
  const base = await readBase(chunkSaltfile ?? defaultSaltfile());
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
