import { createHash, generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import type { SaltMap, SaltValue } from '../salt/codec/values.js';
import { fnmatch } from '../python/fnmatch.js';
import { pythonStr } from '../python/repr.js';

/**
 * The master's key directories (`salt.key.Key`): minion keys by status plus the master's own
 * key pair under `local`. RSA keys are generated on first use (real PEM, real fingerprints).
 */

export const KEY_STATUSES = ['minions_pre', 'minions_rejected', 'minions', 'minions_denied'] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];

export const MASTER_KEY_FILES = ['master.pem', 'master.pub'] as const;

export interface KeyPair {
  pub: string;
  priv: string;
}

const generateRsa = promisify(generateKeyPair);

export async function generateKeyPairPem(keysize = 2048): Promise<KeyPair> {
  const { publicKey, privateKey } = await generateRsa('rsa', {
    modulusLength: keysize,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return { pub: publicKey, priv: privateKey };
}

/** `salt.utils.crypt.pem_finger`: hash of the PEM body lines, hex digits paired with colons. */
export function pemFinger(pem: string, hashType: string): string {
  const lines = pem.split(/(?<=\n)/).filter((line) => line.trim() !== '');
  const digest = createHash(hashType).update(lines.slice(1, -1).join('')).digest('hex');
  return digest.replace(/(..)(?!$)/g, '$1:');
}

function sortIgnoreCase(ids: Iterable<string>): string[] {
  return [...ids].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()) || a.localeCompare(b));
}

export class KeyStore {
  private readonly status = new Map<string, KeyStatus>();
  private readonly pems = new Map<string, Promise<KeyPair>>();

  constructor(initial: Partial<Record<KeyStatus, readonly string[]>>) {
    for (const s of KEY_STATUSES) for (const id of initial[s] ?? []) this.status.set(id, s);
  }

  statusOf(id: string): KeyStatus | undefined {
    return this.status.get(id);
  }

  idsWith(status: KeyStatus): string[] {
    return sortIgnoreCase([...this.status].filter(([, s]) => s === status).map(([id]) => id));
  }

  /** `list_keys` plus `local`, as `key.list_all` answers. */
  listAll(): SaltMap {
    const out: SaltMap = {};
    for (const s of KEY_STATUSES) out[s] = this.idsWith(s);
    out['local'] = [...MASTER_KEY_FILES];
    return out;
  }

  /** `Key.name_match`: status → matching ids (glob, list or comma-separated globs). */
  nameMatch(match: SaltValue, full = false): Record<string, string[]> {
    const patterns = Array.isArray(match)
      ? match.map((m) => pythonStr(m))
      : typeof match === 'string' && match.includes(',')
        ? match.split(',')
        : [pythonStr(match)];
    const out: Record<string, string[]> = {};
    const statuses: string[] = full ? [...KEY_STATUSES, 'local'] : [...KEY_STATUSES];
    for (const s of statuses) {
      const ids = s === 'local' ? [...MASTER_KEY_FILES] : this.idsWith(s as KeyStatus);
      const hits = ids.filter((id) => patterns.some((p) => fnmatch(id, p)));
      if (hits.length > 0) out[s] = hits;
    }
    return out;
  }

  set(id: string, status: KeyStatus, pair?: KeyPair): void {
    this.status.set(id, status);
    if (pair !== undefined) this.pems.set(id, Promise.resolve(pair));
  }

  delete(id: string): void {
    this.status.delete(id);
    this.pems.delete(id);
  }

  /** The PEM of a minion's public key, or of `master.pem` / `master.pub`. */
  async pem(name: string): Promise<string> {
    const owner = (MASTER_KEY_FILES as readonly string[]).includes(name) ? '\u0000master' : name;
    let pair = this.pems.get(owner);
    if (pair === undefined) {
      pair = generateKeyPairPem();
      this.pems.set(owner, pair);
    }
    const { pub, priv } = await pair;
    return name === 'master.pem' ? priv : pub;
  }
}
