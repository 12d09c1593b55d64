/**
 * Salt's `prepend_root_dir` (salt/config/__init__.py) for a Salt installed at `/` (syspaths.ROOT_DIR
 * '/', the usual case): every path option is placed under `root_dir`, absolute or not, and a path that
 * already starts with `root_dir/` is not prefixed twice.
 */
import { posix } from 'node:path';

/** `salt.utils.path.join`: later parts lose their leading slashes, so they always land under `root`. */
function saltPathJoin(root: string, path: string): string {
  return posix.join(root, posix.normalize(path === '' ? '.' : path).replace(/^\/+/, ''));
}

export function prependRootDir(rootDir: string, path: string): string {
  const root = posix.resolve(rootDir);
  // Python truthiness in Salt's code: a path equal to root_dir leaves an empty, "false" remainder.
  const insideRoot = path.startsWith(`${root}/`) ? path.slice(root.length) : '';
  return saltPathJoin(root, insideRoot || path);
}
