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

/** What an x86-64 KVM guest reports in `cpu_flags`: the bulk of a real minion's grains. */
const CPU_FLAGS = (
  'fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ' +
  'ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm rep_good nopl cpuid extd_apicid tsc_known_freq pni ' +
  'pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx ' +
  'f16c rdrand hypervisor lahf_lm cmp_legacy cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw topoext ' +
  'perfctr_core invpcid_single ssbd ibrs ibpb stibp vmmcall fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms ' +
  'invpcid rdseed adx smap clflushopt clwb sha_ni xsaveopt xsavec xgetbv1 xsaves clzero xsaveerptr ' +
  'wbnoinvd arat npt nrip_save umip pku ospke vaes vpclmulqdq rdpid fsrm arch_capabilities'
).split(' ');

/** Grains every simulated minion shares (one object for all: a fleet of 10,000 stays small). */
const SHARED_GRAINS: SaltMap = {
  biosreleasedate: '04/01/2014',
  biosversion: '1.16.3-debian-1.16.3-2',
  cpu_flags: CPU_FLAGS,
  cpu_model: 'AMD EPYC 7B13',
  disks: ['vda'],
  dns: {
    domain: '',
    ip4_nameservers: ['10.0.0.2'],
    ip6_nameservers: [],
    nameservers: ['10.0.0.2'],
    options: ['edns0', 'trust-ad'],
    search: ['demo.local'],
    sortlist: [],
  },
  efi: false,
  efi_secure_boot: false,
  gid: 0,
  gpus: [{ model: 'GD 5446', vendor: 'unknown' }],
  groupname: 'root',
  init: 'systemd',
  kernelparams: [
    ['BOOT_IMAGE', '/boot/vmlinuz'],
    ['root', null],
    ['ro', null],
    ['console', 'tty0'],
    ['console', 'ttyS0,115200'],
    ['quiet', null],
  ],
  locale_info: { defaultencoding: 'utf-8', defaultlanguage: 'en_US', detectedencoding: 'utf-8', timezone: 'UTC' },
  manufacturer: 'QEMU',
  master: 'salt',
  path: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  productname: 'Standard PC (Q35 + ICH9, 2009)',
  ps: 'ps -efHww',
  pythonexecutable: '/opt/saltstack/salt/bin/python3.10',
  pythonpath: [
    '/opt/saltstack/salt/bin',
    '/opt/saltstack/salt/extras-3.10',
    '/opt/saltstack/salt/lib/python310.zip',
    '/opt/saltstack/salt/lib/python3.10',
    '/opt/saltstack/salt/lib/python3.10/lib-dynload',
    '/opt/saltstack/salt/lib/python3.10/site-packages',
  ],
  pythonversion: [3, 10, 15, 'final', 0],
  saltpath: '/opt/saltstack/salt/lib/python3.10/site-packages/salt',
  selinux: { enabled: false, enforced: 'Disabled' },
  shell: '/bin/sh',
  ssds: [],
  swap_total: 0,
  systemd: {
    features:
      '+PAM +AUDIT +SELINUX +APPARMOR +IMA +SMACK +SECCOMP +GCRYPT -GNUTLS +OPENSSL +ACL +BLKID +CURL +ELFUTILS ' +
      '+FIDO2 +IDN2 -IDN +IPTC +KMOD +LIBCRYPTSETUP +LIBFDISK +PCRE2 -PWQUALITY +P11KIT +QRENCODE +TPM2 +BZIP2 ' +
      '+LZ4 +XZ +ZLIB +ZSTD -BPF_FRAMEWORK -XKBCOMMON +UTMP +SYSVINIT default-hierarchy=unified',
    version: '252',
  },
  uid: 0,
  username: 'root',
  zfs_feature_flags: false,
  zfs_support: false,
  zmqversion: '4.3.4',
};

/** The grains one minion reports: the shared ones, then its own (about 3.5 KB in all, as a small VM's). */
export function cannedGrains(id: string, index: number): SaltMap {
  return { ...SHARED_GRAINS, ...ownGrains(id, index) };
}

function ownGrains(id: string, index: number): SaltMap {
  const profile = PROFILES[index % PROFILES.length]!;
  const host = id.split('.')[0] ?? id;
  const octet = 10 + (index % 240);
  const hex = (index + 1).toString(16).padStart(12, '0');
  const mac = `52:54:00:${hex.slice(6, 8)}:${hex.slice(8, 10)}:${hex.slice(10, 12)}`;
  const uuid = `5e1d${hex.slice(0, 4)}-0000-4000-8000-${hex}`;
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
    fqdn_ip4: [`10.0.0.${octet}`],
    hwaddr_interfaces: { eth0: mac, lo: '00:00:00:00:00:00' },
    ip4_interfaces: { eth0: [`10.0.0.${octet}`], lo: ['127.0.0.1'] },
    ip6_interfaces: {
      eth0: [`fe80::5054:ff:fe${mac.slice(9, 11)}:${mac.slice(12, 14)}${mac.slice(15, 17)}`],
      lo: ['::1'],
    },
    ip_interfaces: { eth0: [`10.0.0.${octet}`], lo: ['127.0.0.1', '::1'] },
    ipv6: ['::1'],
    machine_id: uuid.replaceAll('-', ''),
    serialnumber: `demo-${index}`,
    server_id: (index * 2654435761) % 2 ** 31,
    uuid,
  };
}
