/**
 * salt-apid's manual, once: `--help` prints it as plain text (manual-text.ts) and `--man` as a
 * roff man page (man-page.ts), both from the sections below, so the two cannot say different
 * things. Every option the command line accepts (cli-args.ts) is described in OPTIONS.
 */

/** A piece of a term: plain text, or text set in bold (what is typed) or italics (what is replaced). */
export type Span = string | { bold: string } | { italic: string };

export type ManualBlock =
  | { kind: 'paragraph'; text: string }
  /** Lines kept as they are (a synopsis, commands); `indent` columns further in. */
  | { kind: 'literal'; lines: string[]; indent: number }
  /** A term and what it means: an option, a file, a signal. */
  | { kind: 'item'; term: Span[]; text: string };

export interface ManualSection {
  title: string;
  blocks: ManualBlock[];
}

export interface ManualOption {
  /** Without the dashes: `config-dir`. */
  long: string;
  /** One letter, without the dash. */
  short?: string;
  /** The placeholder of its value, for an option that takes one. */
  value?: string;
  text: string;
  /** What applies without the option. */
  default?: string;
}

export const NAME = 'salt-apid';
export const SUMMARY = "the Salt master's REST API (rest_cherrypy), a drop-in replacement for salt-api";

const LEVELS =
  'fatal, error, warn, info, debug, trace or silent; ' +
  "Salt's names (critical, warning, profile, garbage, all, quiet) work too.";

export const OPTIONS: readonly ManualOption[] = [
  {
    long: 'config-dir',
    short: 'c',
    value: 'DIR',
    text: 'Read DIR/master and the files it includes, as salt-api -c DIR does.',
    default: '$SALT_CONFIG_DIR, else /etc/salt',
  },
  {
    long: 'config',
    value: 'FILE',
    text: 'Read this master config file (and the files it includes) instead of DIR/master.',
    default: 'DIR/master of -c',
  },
  {
    long: 'demo',
    text:
      "Run against a built-in demo master with simulated minions, with salt-apid's own config/demo.conf " +
      '(plain HTTP on 127.0.0.1:8000; log in as saltdev, password saltdev, eauth pam). ' +
      'Cannot be combined with -c or --config. No log file is opened unless --log-file is given.',
  },
  {
    long: 'minions',
    value: 'N',
    text:
      'With --demo: simulate N minions (minion-1 to minion-N, 1 to 100000) instead of five, to see ' +
      'salt-apid with a large fleet.',
    default: '5',
  },
  {
    long: 'host',
    value: 'HOST',
    text: 'Listen address; overrides rest_cherrypy.host.',
    default: 'rest_cherrypy.host, else 0.0.0.0',
  },
  {
    long: 'port',
    value: 'PORT',
    text: 'Listen port; overrides rest_cherrypy.port.',
    default: 'rest_cherrypy.port, which is required without this option',
  },
  {
    long: 'log-level',
    short: 'l',
    value: 'LEVEL',
    text: `Level of the log on standard output: ${LEVELS}`,
    default: "the master config's log_level, else info",
  },
  {
    long: 'log-file',
    value: 'FILE',
    text:
      'Also log to FILE (the same lines, at their own level); overrides api_logfile. ' +
      'When it cannot be opened, salt-apid logs a warning and goes on without it.',
    default: 'api_logfile, else /var/log/salt/api under root_dir (none with --demo)',
  },
  {
    long: 'log-file-level',
    value: 'LEVEL',
    text: 'Level of the log file; overrides log_level_logfile. The same names as --log-level.',
    default: 'log_level_logfile, else log_level, else warning',
  },
  {
    long: 'check-config',
    text:
      'Check the configuration instead of serving: read the master config as a start would (with -c, ' +
      '--config or --demo, includes and defaults), print the effective settings (the master options ' +
      'salt-apid uses and the whole rest_cherrypy section, defaults included, secrets shown as ********) ' +
      'as YAML on standard output, and every problem on its own line on standard error. Errors: ' +
      'whatever a start refuses, an unknown key under rest_cherrypy (with the nearest known one), a ' +
      'missing or unreadable ssl_crt or ssl_key, sock_dir, static, app or favicon, a log_access_file or ' +
      'log_error_file that cannot be created, a webhooks secret no rule checks. Warnings: what is legal ' +
      'but likely a mistake (plain HTTP on a reachable address, ssl_* options with disable_ssl, a rule ' +
      'open to anyone...). Connects to nothing, listens on nothing, writes no file. Exit status 0 when ' +
      'a start would accept the configuration, 2 otherwise.',
  },
  {
    long: 'out',
    value: 'FORMAT',
    text:
      'With --check-config: yaml, or json for one JSON document on standard output with config_file, ' +
      'ok, errors, warnings, refused and settings.',
    default: 'yaml',
  },
  { long: 'help', short: 'h', text: 'Print this manual and exit.' },
  { long: 'version', text: 'Print the version and exit.' },
  { long: 'man', text: 'Print this manual as a roff man page, salt-apid(1), and exit.' },
];

const p = (text: string): ManualBlock => ({ kind: 'paragraph', text });
const literal = (indent: number, ...lines: string[]): ManualBlock => ({ kind: 'literal', lines, indent });
const item = (term: Span[], text: string): ManualBlock => ({ kind: 'item', term, text });

/** `-c DIR, --config-dir DIR`, as typed. */
export function optionTerm(option: ManualOption): Span[] {
  const value: Span[] = option.value === undefined ? [] : [' ', { italic: option.value }];
  const short: Span[] = option.short === undefined ? [] : [{ bold: `-${option.short}` }, ...value, ', '];
  return [...short, { bold: `--${option.long}` }, ...value];
}

function optionItem(option: ManualOption): ManualBlock {
  const text = option.default === undefined ? option.text : `${option.text} Default: ${option.default}.`;
  return item(optionTerm(option), text);
}

const DESCRIPTION: ManualBlock[] = [
  p(
    "salt-apid serves the HTTP API of salt-api's rest_cherrypy module: the same URLs, requests, " +
      'answers, sessions and tokens, so that clients of salt-api work unchanged.',
  ),
  p(
    'It reads the master configuration as salt-api does: /etc/salt/master, then the files ' +
      '/etc/salt/master.d/*.conf, and takes its own settings from their rest_cherrypy section. ' +
      'It talks to the Salt master directly, over the request port (ret_port, 4506) and the event bus ' +
      '(the sockets in sock_dir), the way the master speaks to its own clients: no Python is needed.',
  ),
  p(
    "Started as root, it binds its port and opens its log files, then switches to the master config's " +
      'user, as salt-api does. Logs are JSON lines on standard output and, at their own level, in the log ' +
      'file (api_logfile): one line per request at the default level, its access line. Where the master ' +
      "config sets log_fmt_console or log_fmt_logfile, that output is text in Salt's format instead. " +
      'Passwords and tokens are never logged.',
  ),
  p(
    'With log_audit_file set in the rest_cherrypy section, salt-apid also keeps an audit log: one JSON ' +
      'line per login, failed login, logout, lowstate chunk run and webhook delivery, saying who, from ' +
      'which address (and, behind a proxy listed in trusted_proxies, for which client), what, and with ' +
      'which outcome. Passwords, tokens, signatures and secret-looking arguments are written as [redacted].',
  ),
];

const FILES: ManualBlock[] = [
  item(
    [{ italic: '/etc/salt/master' }],
    'The master configuration: the rest_cherrypy section, and the master options salt-apid uses ' +
      '(interface, ret_port, sock_dir, external_auth, user, api_logfile, log_level...).',
  ),
  item([{ italic: '/etc/salt/master.d/*.conf' }], 'Read after /etc/salt/master (default_include).'),
  item(
    [{ italic: '/var/log/salt/api' }],
    'The log file (api_logfile, placed under root_dir; --log-file). Not created when its directory is missing.',
  ),
  item(
    [{ italic: '/var/run/salt/master' }],
    "The master's sock_dir: its event bus sockets, master_event_pub.ipc and master_event_pull.ipc.",
  ),
  item(
    [{ italic: '/usr/lib/systemd/system/salt-apid.service' }],
    'The systemd unit of the packages: runs salt-apid as root with no arguments; it conflicts with ' +
      'salt-api.service.',
  ),
];

const SIGNALS: ManualBlock[] = [
  item(
    [{ bold: 'SIGTERM' }, ', ', { bold: 'SIGINT' }],
    'Stop gracefully: stop accepting connections, let the requests in flight finish for at most ' +
      'shutdown_timeout seconds (rest_cherrypy, default 10), close what is left, exit 0. ' +
      'A second SIGTERM or SIGINT stops at once, with exit status 1.',
  ),
  item(
    [{ bold: 'SIGHUP' }],
    'Reopen the log files (api_logfile, log_access_file, log_error_file, log_audit_file) after logrotate ' +
      "moved them away. api_logfile also notices a move by itself, as salt-api's log file does. With workers, the " +
      'primary process passes it on to every worker.',
  ),
];

const EXIT_STATUS: ManualBlock[] = [
  item(['0'], 'Stopped by SIGTERM or SIGINT; or --help, --version, --man; or --check-config found no error.'),
  item(
    ['1'],
    'Could not start or run: the port is taken or not allowed, salt-apid cannot switch to the ' +
      'configured user (not started as root), or a second stop signal cut a graceful stop short.',
  ),
  item(
    ['2'],
    'A usage or configuration error, named on one line on standard error: an unknown option, a bad ' +
      'config value, a user that does not exist, a log_access_file, log_error_file or log_audit_file ' +
      'that cannot be opened, unusable TLS files; or --check-config found at least one error.',
  ),
];

const ENVIRONMENT: ManualBlock[] = [
  item([{ bold: 'SALT_CONFIG_DIR' }], 'The default of -c: $SALT_CONFIG_DIR/master is read.'),
  item(
    [{ bold: 'SALT_MASTER_CONFIG' }],
    'The master config file to read when neither -c nor --config is given, if it exists.',
  ),
];

const EXAMPLES: ManualBlock[] = [
  p('Try it against the built-in demo master, then log in:'),
  literal(
    4,
    'salt-apid --demo',
    'curl -sS http://127.0.0.1:8000/login -H "Accept: application/json" \\',
    '  -d username=saltdev -d password=saltdev -d eauth=pam',
  ),
  p('The demo on another port:'),
  literal(4, 'salt-apid --demo --port 8001'),
  p('Serve a real master, as salt-api does, reading /etc/salt/master:'),
  literal(4, 'salt-apid -c /etc/salt'),
  p('Check that configuration first, and see the settings it gives:'),
  literal(4, 'salt-apid --check-config -c /etc/salt'),
];

/** Every section, in the order of a man page. */
export function manualSections(): ManualSection[] {
  return [
    { title: 'NAME', blocks: [p(`${NAME} - ${SUMMARY}`)] },
    {
      title: 'SYNOPSIS',
      blocks: [
        literal(
          0,
          'salt-apid [-c DIR | --config FILE | --demo [--minions N]]',
          '          [--host HOST] [--port PORT]',
          '          [-l LEVEL] [--log-file FILE] [--log-file-level LEVEL]',
          'salt-apid --check-config [-c DIR | --config FILE | --demo] [--out FORMAT]',
          'salt-apid -h | --help | --version | --man',
        ),
      ],
    },
    { title: 'DESCRIPTION', blocks: DESCRIPTION },
    { title: 'OPTIONS', blocks: OPTIONS.map(optionItem) },
    { title: 'FILES', blocks: FILES },
    { title: 'SIGNALS', blocks: SIGNALS },
    { title: 'EXIT STATUS', blocks: EXIT_STATUS },
    { title: 'ENVIRONMENT', blocks: ENVIRONMENT },
    { title: 'EXAMPLES', blocks: EXAMPLES },
    {
      title: 'SEE ALSO',
      blocks: [p("salt-api(1), salt-master(1), and Salt's documentation of rest_cherrypy.")],
    },
  ];
}
