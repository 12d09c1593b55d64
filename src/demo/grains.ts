import type { SaltMap } from '../salt/codec/values.js';

/** Canned, plausible grains for a simulated minion; odd and even minions run different OSes. */

export const DEMO_SALT_VERSION = '3008.0';

interface OsProfile {
  os: string;
  os_family: string;
  osrelease: string;
  osmajorrelease: number;
  oscodename: string;
  osfullname: string;
  kernelrelease: string;
  pkg_manager: string;
}

const PROFILES: readonly OsProfile[] = [
  {
    os: 'Debian',
    os_family: 'Debian',
    osrelease: '12',
    osmajorrelease: 12,
    oscodename: 'bookworm',
    osfullname: 'Debian',
    kernelrelease: '6.1.0-28-amd64',
    pkg_manager: 'apt',
  },
  {
    os: 'Rocky',
    os_family: 'RedHat',
    osrelease: '9.5',
    osmajorrelease: 9,
    oscodename: 'Blue Onyx',
    osfullname: 'Rocky Linux',
    kernelrelease: '5.14.0-503.14.1.el9_5.x86_64',
    pkg_manager: 'dnf',
  },
];

export function cannedGrains(id: string, index: number): SaltMap {
  const profile = PROFILES[index % PROFILES.length]!;
  const host = id.split('.')[0] ?? id;
  const octet = 10 + (index % 240);
  return {
    cpuarch: 'x86_64',
    domain: 'demo.local',
    fqdn: `${host}.demo.local`,
    host,
    id,
    ipv4: ['127.0.0.1', `10.0.0.${octet}`],
    kernel: 'Linux',
    kernelrelease: profile.kernelrelease,
    localhost: host,
    mem_total: 2048 * (1 + (index % 4)),
    nodename: host,
    num_cpus: 2 * (1 + (index % 2)),
    os: profile.os,
    os_family: profile.os_family,
    oscodename: profile.oscodename,
    osfullname: profile.osfullname,
    osmajorrelease: profile.osmajorrelease,
    osrelease: profile.osrelease,
    pkg_manager: profile.pkg_manager,
    saltversion: DEMO_SALT_VERSION,
    saltversioninfo: [3008, 0],
    virtual: 'kvm',
  };
}
