import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CONFIG_FILE } from '../../src/config/cli-args.js';
import { findPackageRoot, PACKAGE_ROOT } from '../../src/package-root.js';
import { VERSION } from '../../src/version.js';

/**
 * salt-apid finds its package.json and config/demo.conf from where its code lies, whichever the
 * layout: src/ (vitest), dist/ and dist/config/ (tsc), dist/bundle/ (the bundle).
 */

const REPO = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

let tree: string;
beforeAll(async () => {
  tree = await mkdtemp(join(tmpdir(), 'package-root-'));
  const install = join(tree, 'node_modules', 'salt-apid');
  await writeFile(join(tree, 'package.json'), JSON.stringify({ name: 'a-project', version: '9.0.0' }));
  for (const dir of ['dist/config', 'dist/bundle', 'src/config', 'config'])
    await mkdir(join(install, dir), { recursive: true });
  await writeFile(join(install, 'package.json'), JSON.stringify({ name: 'salt-apid', version: '1.2.3' }));
  // A package.json of another name on the way up is not salt-apid's.
  await writeFile(join(install, 'dist', 'package.json'), JSON.stringify({ name: 'other', version: '0.0.1' }));
  await writeFile(join(install, 'dist', 'bundle', 'package.json'), '{ not json');
});
afterAll(async () => {
  await rm(tree, { recursive: true, force: true });
});

describe('findPackageRoot', () => {
  it.each(['dist', 'dist/config', 'dist/bundle', 'src/config', ''])('finds the root from %j', (below) => {
    const install = join(tree, 'node_modules', 'salt-apid');
    expect(findPackageRoot(join(install, below))).toEqual({ dir: install, version: '1.2.3' });
  });

  it('says so when no package.json above is salt-apid', () => {
    expect(() => findPackageRoot(tree)).toThrow(/no package\.json of salt-apid at or above/);
  });
});

describe('this checkout', () => {
  it('is found from src/, with its version and demo config', async () => {
    const manifest = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string };
    expect(PACKAGE_ROOT).toEqual({ dir: REPO, version: manifest.version });
    expect(VERSION).toBe(manifest.version);
    expect(DEMO_CONFIG_FILE).toBe(join(REPO, 'config', 'demo.conf'));
    expect(existsSync(DEMO_CONFIG_FILE)).toBe(true);
  });

  it('is found from where tsc and the bundler write the code', () => {
    for (const below of ['dist', 'dist/config', 'dist/bundle']) {
      expect(findPackageRoot(join(REPO, below)).dir).toBe(REPO);
    }
  });
});
