import type { SaltMap, SaltValue } from '../../codec/values.js';
import { isSaltMap } from '../../codec/values.js';

/**
 * One host's entry in the ssh client's answer, shaped as salt-api's `SSHClient.cmd_sync` returns it:
 * what `SSH.run_iter` yields after it has filled in the event fields (id, fun, fun_args, retcode,
 * success, return, jid) of the host's result, a failed host keeping salt-ssh's stdout, stderr and
 * _error.
 */

export interface HostCall {
  host: string;
  fun: string;
  funArgs: SaltValue[];
  jid: string;
  /** salt-ssh's exit status. */
  code: number;
}

/** The `_error` of the exception `salt.client.ssh.wrapper.parse_ret` raises for a failed command. */
function errorOf(stderr: string): string {
  return stderr.includes('Permission denied') ? 'Permission denied' : 'The command resulted in a non-zero exit code';
}

/**
 * salt-ssh's command line prints only the stderr of a host it could not reach (`ssh: …`), and its
 * event carries that text as the return: the result salt-api returns holds the exception's fields.
 */
function unreachable(stderr: string, retcode: SaltValue): SaltMap {
  return { stdout: '', stderr, retcode, parsed: null, _error: errorOf(stderr) };
}

/** The keys run_iter adds to a failed host's result, in the order it adds them. */
const RUN_ITER_KEYS = ['id', 'fun', 'fun_args', 'retcode', 'success', 'return', 'jid'];

/** From the host's `salt/job/<jid>/ret/<host>` event: salt-api's dictionary, fired as is. */
export function fromEvent(event: SaltMap, printed: SaltValue): SaltMap {
  if (typeof printed === 'string' && printed.startsWith('ssh:') && !Object.hasOwn(event, 'stderr')) {
    const result = unreachable(printed, event['retcode'] ?? 1);
    for (const key of RUN_ITER_KEYS)
      if (Object.hasOwn(event, key) && key !== 'retcode') result[key] = event[key] ?? null;
    return { ...result, ...event, ...result };
  }
  return event;
}

/** Without the event: what run_iter would have made of what salt-ssh printed. */
export function fromPrinted(printed: SaltValue, call: HostCall): SaltMap {
  let data: SaltMap;
  if (isSaltMap(printed) && !Object.hasOwn(printed, 'return')) data = { ...printed };
  else if (typeof printed === 'string' && printed.startsWith('ssh:')) data = unreachable(printed, call.code || 1);
  else data = { return: printed, retcode: call.code };
  const fill = (key: string, value: () => SaltValue): void => {
    if (!Object.hasOwn(data, key)) data[key] = value();
  };
  fill('id', () => call.host);
  fill('fun', () => call.fun);
  fill('fun_args', () => call.funArgs);
  fill('retcode', () => call.code);
  fill('success', () => data['retcode'] === 0);
  if (!Object.hasOwn(data, 'return')) {
    data['return'] = data['success'] === true ? (data['stdout'] ?? null) : (data['stderr'] ?? data['stdout'] ?? null);
  }
  data['jid'] = call.jid;
  return data;
}
