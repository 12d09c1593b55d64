/**
 * What a path option names, checked without writing anything: whether a start could read the file
 * or folder, or create and append to the log file. Each answer is why not, or undefined.
 */
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { errorCode } from '../error-fields.js';

function statOf(path: string): Stats | string {
  try {
    return statSync(path);
  } catch (error) {
    const code = errorCode(error);
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'does not exist' : `cannot be looked at (${code ?? 'error'})`;
  }
}

function accessProblem(path: string, mode: number, what: string): string | undefined {
  try {
    accessSync(path, mode);
    return undefined;
  } catch (error) {
    return `${what} (${errorCode(error) ?? 'error'})`;
  }
}

/** A folder whose entries can be listed and opened. */
export function readableDirProblem(path: string): string | undefined {
  const stats = statOf(path);
  if (typeof stats === 'string') return stats;
  if (!stats.isDirectory()) return 'is not a directory';
  return accessProblem(path, constants.R_OK | constants.X_OK, 'cannot be read');
}

/** A file that can be read. */
export function readableFileProblem(path: string): string | undefined {
  const stats = statOf(path);
  if (typeof stats === 'string') return stats;
  if (stats.isDirectory()) return 'is a directory, not a file';
  return accessProblem(path, constants.R_OK, 'cannot be read');
}

/** Why a log file could not be opened for appending; `permission` when only the access rights stand in the way. */
export interface WriteProblem {
  problem: string;
  permission: boolean;
}

/** A file that can be appended to, or created in its folder. */
export function appendableFileProblem(path: string): WriteProblem | undefined {
  const stats = statOf(path);
  if (typeof stats !== 'string') {
    if (stats.isDirectory()) return { problem: 'is a directory, not a file', permission: false };
    const problem = accessProblem(path, constants.W_OK, 'cannot be written');
    return problem === undefined ? undefined : { problem, permission: true };
  }
  if (stats !== 'does not exist') return { problem: stats, permission: false };
  const dir = dirname(path);
  const dirStats = statOf(dir);
  if (typeof dirStats === 'string')
    return { problem: `cannot be created: its directory ${dir} ${dirStats}`, permission: false };
  if (!dirStats.isDirectory()) return { problem: `cannot be created: ${dir} is not a directory`, permission: false };
  const problem = accessProblem(dir, constants.W_OK | constants.X_OK, `cannot be created in ${dir}`);
  return problem === undefined ? undefined : { problem, permission: true };
}
