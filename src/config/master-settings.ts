/**
 * MasterSettings from the master options, with DEFAULT_MASTER_OPTS / DEFAULT_API_OPTS defaults and
 * the adjustments `apply_master_config`, `client_config` and `api_config` make
 * (salt/config/__init__.py).
 */
import { userInfo } from 'node:os';
import { posix } from 'node:path';
import { configLogLevel, type LogLevel } from './log-level.js';
import { PercentFormatError } from '../python/percent-format.js';
import { SALT_LOG_FORMATS, TextLogFormat, type TextLogSpec } from '../log-text.js';
import { isMapping } from './master-file.js';
import type { EventFraming, MasterSettings } from './types.js';
import { describeValue, type OptionReader } from './option-reader.js';
import { prependRootDir } from './root-dir.js';
import { dictFrom, emptyDict } from '../dict.js';

const DEFAULTS = {
  rootDir: '/',
  interface: '0.0.0.0',
  retPort: 4506,
  sockDir: '/var/run/salt/master',
  cachedir: '/var/cache/salt/master',
  pkiDir: '/etc/salt/pki/master',
  tcpMasterPubPort: 4512,
  tcpMasterPullPort: 4513,
  tokenExpire: 43200,
  restTimeout: 300,
  timeout: 5,
  gatherJobTimeout: 10,
  hashType: 'sha256',
  apiPidfile: '/var/run/salt-api.pid',
  apiLogfile: '/var/log/salt/api',
} as const;

export const EVENT_PULL_FRAMINGS: ReadonlyArray<EventFraming | 'auto'> = ['auto', 'bare', 'len32'];

/** Salt's `_MASTER_USER` (`salt.utils.user.get_user`): the user running the process. */
export function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env['USER'] ?? String(process.getuid?.() ?? 'root');
  }
}

/**
 * `log_level` / `log_level_logfile`: Salt's level names or Python's numbers. A name Salt does not
 * know is not refused: Salt logs a warning and logs at `error`, and so does salt-apid.
 */
function readLogLevel(master: OptionReader, key: string, warn: (message: string) => void): LogLevel | undefined {
  const raw = master.raw(key);
  // Python's truthiness, as Salt's parser tests it: an empty value is no value.
  if (raw === undefined || raw === '') return undefined;
  const level = typeof raw === 'string' || typeof raw === 'number' ? configLogLevel(raw) : undefined;
  if (level !== undefined) return level;
  warn(master.fail(key, `unknown log level ${describeValue(raw)}, logging at error`).message);
  return 'error';
}

/**
 * `log_fmt_console` / `log_fmt_logfile` with their date formats: an output whose format is set
 * writes text in it, the others JSON (docs/decisions/0025-log-formats.md). An empty format is
 * Salt's default one, as in Salt; a format Python's logging would refuse, or fail on at every line,
 * stops the start.
 */
function readTextLog(
  master: OptionReader,
  formatKey: string,
  datefmtKey: string,
  defaults: TextLogSpec,
): TextLogSpec | undefined {
  const format = master.string(formatKey);
  if (format === undefined) return undefined;
  const spec = { format: format || defaults.format, datefmt: master.string(datefmtKey) || defaults.datefmt };
  try {
    TextLogFormat.compile(spec);
  } catch (err) {
    if (err instanceof PercentFormatError) throw master.fail(formatKey, `${JSON.stringify(format)}: ${err.message}`);
    throw err;
  }
  return spec;
}

/** The log options: levels and formats of standard output and of `api_logfile`, and the file itself. */
function readLogging(
  master: OptionReader,
  rootDir: string,
  warn: (message: string) => void,
): Pick<MasterSettings, 'apiLogfile' | 'apiLogfileSet' | 'logLevel' | 'logLevelLogfile' | 'logText'> {
  const apiLogfile = master.string('api_logfile') || undefined;
  const logLevel = readLogLevel(master, 'log_level', warn);
  return {
    apiLogfile: prependRootDir(rootDir, apiLogfile ?? DEFAULTS.apiLogfile),
    apiLogfileSet: apiLogfile !== undefined,
    logLevel,
    logLevelLogfile: readLogLevel(master, 'log_level_logfile', warn) ?? logLevel ?? 'warn',
    logText: {
      console: readTextLog(master, 'log_fmt_console', 'log_datefmt', {
        format: SALT_LOG_FORMATS.console,
        datefmt: SALT_LOG_FORMATS.datefmt,
      }),
      logfile: readTextLog(master, 'log_fmt_logfile', 'log_datefmt_logfile', {
        format: SALT_LOG_FORMATS.logfile,
        datefmt: SALT_LOG_FORMATS.datefmtLogfile,
      }),
    },
  };
}

/** client_config: a wildcard bind address is contacted on loopback. */
function contactAddress(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '::1';
  return address;
}

function readPermissions(users: OptionReader): Record<string, unknown[]> {
  const entries = emptyDict<unknown[]>();
  for (const user of users.keys()) {
    const permissions = users.raw(user);
    if (!Array.isArray(permissions)) {
      throw users.fail(user, `must be a list of permissions (use [] for none), got ${describeValue(permissions)}`);
    }
    entries[user] = permissions;
  }
  return entries;
}

function readExternalAuth(master: OptionReader): Record<string, Record<string, unknown[]>> {
  const eauth = master.nested('external_auth');
  const result = emptyDict<Record<string, unknown[]>>();
  for (const backend of eauth?.keys() ?? []) {
    const users = eauth?.nested(backend);
    result[backend] = users === undefined ? emptyDict<unknown[]>() : readPermissions(users);
  }
  return result;
}

const isTarget = (target: unknown): target is string | string[] =>
  typeof target === 'string' || (Array.isArray(target) && target.every((item) => typeof item === 'string'));

/** master_config: a list of one-key mappings is repacked into one mapping (salt.utils.data.repack_dictlist). */
function readNodegroups(master: OptionReader): Record<string, string | string[]> {
  const raw = master.raw('nodegroups');
  if (raw === undefined) return emptyDict();
  const packed: unknown =
    Array.isArray(raw) && raw.every(isMapping) ? dictFrom(raw.flatMap((item) => Object.entries(item))) : raw;
  if (!isMapping(packed)) throw master.fail('nodegroups', 'must be a mapping of nodegroup names to targets');
  const result = emptyDict<string | string[]>();
  for (const [name, target] of Object.entries(packed)) {
    if (!isTarget(target)) throw master.fail('nodegroups', `${name}: must be a target string or a list of strings`);
    result[name] = target;
  }
  return result;
}

/** `token_expire_user_override` may also be a per-eauth mapping of users; the master enforces it. */
function readTokenExpireUserOverride(master: OptionReader): boolean {
  const raw = master.raw('token_expire_user_override');
  if (isMapping(raw)) return true;
  return master.boolean('token_expire_user_override') ?? false;
}

/** apply_master_config: an over-long sock_dir (unix socket path limits) moves under cachedir. */
function rawSockDir(master: OptionReader): string {
  const sockDir = master.string('sock_dir') ?? DEFAULTS.sockDir;
  const cachedir = master.string('cachedir') ?? DEFAULTS.cachedir;
  return sockDir.length > cachedir.length + 10 ? posix.join(cachedir, '.salt-unix') : sockDir;
}

/** `cache.redis.*` with salt/cache/redis_cache.py's defaults. */
function readRedisCache(master: OptionReader): MasterSettings['redisCache'] {
  const db = master.raw('cache.redis.db');
  return {
    host: master.string('cache.redis.host') ?? 'localhost',
    port: master.port('cache.redis.port') ?? 6379,
    unixSocketPath: master.string('cache.redis.unix_socket_path'),
    db: typeof db === 'number' ? db : Number(db ?? 0) || 0,
    password: master.string('cache.redis.password'),
    separator: master.string('cache.redis.separator') ?? '_',
    banksPrefix: master.string('cache.redis.banks_prefix') ?? '$BANKS',
    keysPrefix: master.string('cache.redis.keys_prefix') ?? '$KEYS',
    timestampPrefix: master.string('cache.redis.timestamp_prefix') ?? '$TSTAMP',
  };
}

export function buildMasterSettings(
  master: OptionReader,
  rest: OptionReader | undefined,
  configFile: string | undefined,
  warn: (message: string) => void = () => {},
): MasterSettings {
  const rootDir = master.string('root_dir') ?? DEFAULTS.rootDir;
  return {
    configFile,
    rootDir,
    interface: contactAddress(master.string('interface') ?? DEFAULTS.interface),
    retPort: master.port('ret_port') ?? DEFAULTS.retPort,
    sockDir: prependRootDir(rootDir, rawSockDir(master)),
    ipcMode: master.oneOf('ipc_mode', ['ipc', 'tcp'] as const) ?? 'ipc',
    tcpMasterPubPort: master.port('tcp_master_pub_port') ?? DEFAULTS.tcpMasterPubPort,
    tcpMasterPullPort: master.port('tcp_master_pull_port') ?? DEFAULTS.tcpMasterPullPort,
    eventPullFraming:
      rest?.oneOf('event_pull_framing', EVENT_PULL_FRAMINGS) ??
      master.oneOf('event_pull_framing', EVENT_PULL_FRAMINGS) ??
      'auto',
    externalAuth: readExternalAuth(master),
    keepAclInToken: master.boolean('keep_acl_in_token') ?? false,
    pamService: master.string('auth.pam.service') ?? 'login',
    cachedir: prependRootDir(rootDir, master.string('cachedir') ?? DEFAULTS.cachedir),
    cacheDriver: master.string('cache') ?? 'localfs',
    redisCache: readRedisCache(master),
    pkiDir: prependRootDir(rootDir, master.string('pki_dir') ?? DEFAULTS.pkiDir),
    rosterFile:
      master.string('roster_file') ??
      posix.join(configFile === undefined ? '/etc/salt' : posix.dirname(configFile), 'roster'),
    netapiEnableClients: master.stringList('netapi_enable_clients') ?? [],
    netapiAllowRawShell: master.boolean('netapi_allow_raw_shell') ?? false,
    tokenExpire: master.seconds('token_expire') ?? DEFAULTS.tokenExpire,
    tokenExpireUserOverride: readTokenExpireUserOverride(master),
    restTimeout: master.seconds('rest_timeout') ?? DEFAULTS.restTimeout,
    timeout: master.seconds('timeout') ?? DEFAULTS.timeout,
    gatherJobTimeout: master.seconds('gather_job_timeout') ?? DEFAULTS.gatherJobTimeout,
    hashType: (master.string('hash_type') ?? DEFAULTS.hashType).toLowerCase(),
    nodegroups: readNodegroups(master),
    user: master.string('user') ?? currentUser(),
    userFile: master.raw('user') === undefined ? undefined : master.sourceOf('user'),
    apiPidfile: prependRootDir(rootDir, master.string('api_pidfile') ?? DEFAULTS.apiPidfile),
    ...readLogging(master, rootDir, warn),
  };
}
