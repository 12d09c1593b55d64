import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';

/**
 * PAM inside salt-apid, as salt-api checks `eauth: pam` in its own process for the ssh client
 * (`salt/auth/pam.py`): the password against the `auth.pam.service` service, and the user's
 * groups as the operating system reports them (`salt.utils.user.get_group_list`).
 *
 * The binding is authenticate-pam, an optional dependency built against libpam's headers; where it
 * is missing or fails to load, {@link loadPam} says why and the caller asks the master instead.
 */

type PamCallback = (error: unknown) => void;
interface PamBinding {
  authenticate(username: string, password: string, callback: PamCallback, options: { serviceName: string }): void;
}

export interface Pam {
  authenticate(username: string, password: string, service: string): Promise<boolean>;
  groups(username: string): Promise<string[]>;
}

export type PamLoad = { pam: Pam } | { pam: undefined; reason: string };

function isBinding(value: unknown): value is PamBinding {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { authenticate?: unknown }).authenticate === 'function'
  );
}

/** `id -Gn`: every group of the user (primary and supplementary, through NSS), or none. */
export function systemGroups(username: string): Promise<string[]> {
  return new Promise((resolve) => {
    execFile('id', ['-Gn', '--', username], { timeout: 5000, maxBuffer: 1024 * 1024 }, (error, stdout) => {
      resolve(error ? [] : stdout.split(/\s+/).filter((group) => group !== ''));
    });
  });
}

export function pamFrom(binding: PamBinding): Pam {
  return {
    authenticate: (username, password, service) =>
      new Promise((resolve) => {
        // PAM takes C strings: a NUL would cut the name or the password short.
        if (username === '' || username.includes('\0') || password.includes('\0')) {
          resolve(false);
          return;
        }
        try {
          binding.authenticate(username, password, (error) => resolve(error === undefined || error === null), {
            serviceName: service,
          });
        } catch {
          resolve(false);
        }
      }),
    groups: systemGroups,
  };
}

/** PAM left to the master, e.g. the demo master, which simulates its own users. */
export const PAM_ON_MASTER: PamLoad = { pam: undefined, reason: 'the master checks PAM itself' };

/**
 * `ssh_pam_in_process`: true (the default) loads the binding on first use; false leaves PAM to
 * the master, whose own PAM module also runs the account checks (pam_acct_mgmt) the binding skips.
 */
export function pamForSsh(inProcess: boolean): PamLoad | undefined {
  return inProcess ? undefined : PAM_ON_MASTER;
}

let loaded: PamLoad | undefined;

/** The in-process PAM, loaded once; `reason` says why there is none. */
export function loadPam(): PamLoad {
  if (loaded !== undefined) return loaded;
  try {
    const binding: unknown = createRequire(import.meta.url)('authenticate-pam');
    loaded = isBinding(binding)
      ? { pam: pamFrom(binding) }
      : { pam: undefined, reason: 'authenticate-pam has no authenticate function' };
  } catch (error) {
    loaded = { pam: undefined, reason: error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error) };
  }
  return loaded;
}
