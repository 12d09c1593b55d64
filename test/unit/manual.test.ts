import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI_OPTIONS, parseCliArgs } from '../../src/config/cli-args.js';
import { manualText } from '../../src/config/manual-text.js';
import { manDate, manPage, roffEscape } from '../../src/config/man-page.js';
import { OPTIONS } from '../../src/config/manual.js';
import { TEXT_WIDTH, wrap } from '../../src/config/manual-text.js';

const SECTIONS = [
  'NAME',
  'SYNOPSIS',
  'DESCRIPTION',
  'OPTIONS',
  'FILES',
  'SIGNALS',
  'EXIT STATUS',
  'ENVIRONMENT',
  'EXAMPLES',
  'SEE ALSO',
];

const PAGE = manPage('1.2.3', '2026-01-02');

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The lines of one section of the --help text. */
function helpSection(title: string): string[] {
  const lines = manualText().split('\n');
  const start = lines.indexOf(title);
  const end = lines.findIndex((line, index) => index > start && /^[A-Z]/.test(line));
  return lines.slice(start + 1, end === -1 ? undefined : end);
}

const parseOptions = Object.entries(CLI_OPTIONS);

describe('the manual: --help and --man', () => {
  it('has every section, in order, in both forms', () => {
    const helpTitles = manualText()
      .split('\n')
      .filter((line) => /^[A-Z]/.test(line));
    expect(helpTitles).toEqual(SECTIONS);
    const roffTitles = [...PAGE.matchAll(/^\.SH "([^"]+)"$/gm)].map((match) => match[1]);
    expect(roffTitles).toEqual(SECTIONS);
  });

  it.each(parseOptions)('describes --%s, which parseArgs accepts, in the help and the man page', (long, spec) => {
    const short = 'short' in spec ? spec.short : undefined;
    const value = spec.type === 'string' ? ' [A-Z]+' : '';
    // Its own term line in OPTIONS: `-c DIR, --config-dir DIR`, `--demo`.
    const shortText = short === undefined ? '' : `-${short}${value}, `;
    const term = new RegExp(`^ {7}${shortText}--${escapeRegExp(long)}${value}$`);
    expect(helpSection('OPTIONS').filter((line) => term.test(line))).toHaveLength(1);
    const roffLong = `\\\\fB${escapeRegExp(roffEscape(`--${long}`))}\\\\fR`;
    const roffShort = short === undefined ? '' : `\\\\fB\\\\-${short}\\\\fR( \\\\fI[A-Z]+\\\\fR)?, `;
    expect(PAGE).toMatch(new RegExp(`^\\.TP\\n${roffShort}${roffLong}( \\\\fI[A-Z]+\\\\fR)?\\n`, 'm'));
    // And the command line takes it.
    const sample: Record<string, string[]> = {
      port: ['8000'],
      minions: ['10', '--demo'],
      out: ['json', '--check-config'],
    };
    const argv = spec.type === 'string' ? [`--${long}`, ...(sample[long] ?? ['info'])] : [`--${long}`];
    expect(() => parseCliArgs(argv)).not.toThrow();
  });

  it('describes no option the command line does not take, each with its default when it takes a value', () => {
    for (const option of OPTIONS) {
      const spec = CLI_OPTIONS[option.long as keyof typeof CLI_OPTIONS];
      expect(spec, option.long).toBeDefined();
      expect(spec.type).toBe(option.value === undefined ? 'boolean' : 'string');
      expect('short' in spec ? spec.short : undefined).toBe(option.short);
      if (option.value !== undefined) expect(option.default, option.long).toBeDefined();
    }
    expect(OPTIONS).toHaveLength(parseOptions.length);
    const options = helpSection('OPTIONS').join(' ').replace(/\s+/g, ' ');
    expect(options).toContain('Default: api_logfile, else /var/log/salt/api under root_dir (none with --demo).');
  });

  it('keeps the help within 80 columns', () => {
    expect(TEXT_WIDTH).toBe(80);
    for (const line of manualText().split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
  });

  it('names the files, signals, exit statuses, environment and examples it promises', () => {
    for (const text of [
      '/etc/salt/master.d/*.conf',
      '/var/log/salt/api',
      '/usr/lib/systemd/system/salt-apid.service',
      '/var/run/salt/master',
      'SIGHUP',
      'shutdown_timeout',
      'SALT_CONFIG_DIR',
      'salt-apid --demo --port 8001',
      'salt-apid -c /etc/salt',
      'salt-api(1), salt-master(1)',
    ]) {
      expect(manualText()).toContain(text);
      expect(PAGE).toContain(roffEscape(text));
    }
    expect(helpSection('EXIT STATUS').filter((line) => /^ {7}[0-9]$/.test(line))).toEqual([
      '       0',
      '       1',
      '       2',
    ]);
  });

  it('wraps words without losing or splitting any', () => {
    const text = 'one two three four five six seven eight nine ten eleven twelve '.repeat(9);
    const lines = wrap(text, 14);
    expect(lines.every((line) => line.length <= 80 && line.startsWith(' '.repeat(14)))).toBe(true);
    expect(lines.join(' ').split(/\s+/).filter(Boolean)).toEqual(text.split(/\s+/).filter(Boolean));
  });
});

describe('manPage: roff', () => {
  it('starts with .TH and the NAME line whatis reads', () => {
    expect(PAGE).toMatch(/^\.\\" .*\n\.TH SALT-APID 1 "2026-01-02" "salt-apid 1\.2\.3" "User Commands"\n\.SH "NAME"\n/);
    expect(PAGE).toMatch(/^salt\\-apid \\- the Salt master's REST API/m);
  });

  it('escapes backslashes and hyphens, and never lets text start a control line', () => {
    expect(roffEscape('a\\b-c')).toBe('a\\eb\\-c');
    const page = manPage('1', '2026-01-02', [
      {
        title: 'TRICKY',
        blocks: [
          { kind: 'paragraph', text: '.SH not a section' },
          { kind: 'paragraph', text: "'br not a request" },
          { kind: 'literal', indent: 4, lines: ['.nf not a request', 'a \\ b'] },
          { kind: 'item', term: ['.x'], text: '-- and \\fB stay text' },
        ],
      },
    ]);
    expect(page).toContain('\n\\&.SH not a section\n');
    expect(page).toContain("\n\\&'br not a request\n");
    expect(page).toContain('\n\\&.nf not a request\na \\e b\n');
    expect(page).toContain('\n.TP\n\\&.x\n\\-\\- and \\efB stay text\n');
  });

  it('has no control line but the man macros it means', () => {
    const controls = PAGE.split('\n').filter((line) => /^[.']/.test(line));
    for (const line of controls) expect(line).toMatch(/^\.(\\"|TH |SH |PP$|TP$|nf$|fi$|RS \d+$|RE$)/);
  });

  it('formats without a warning from groff, where groff is installed', (context) => {
    const groff = spawnSync('groff', ['-man', '-Tutf8', '-ww'], { input: PAGE, encoding: 'utf8' });
    if (groff.error) context.skip('groff is not installed');
    expect(groff.stderr).toBe('');
    expect(groff.status).toBe(0);
    expect(groff.stdout).toContain('salt-apid --demo --port 8001');
  });

  it('is dated by SOURCE_DATE_EPOCH when set (a reproducible build), else today', () => {
    const now = new Date('2030-05-06T12:00:00Z');
    expect(manDate({ SOURCE_DATE_EPOCH: '1700000000' }, now)).toBe('2023-11-14');
    expect(manDate({}, now)).toBe('2030-05-06');
    expect(manDate({ SOURCE_DATE_EPOCH: 'soon' }, now)).toBe('2030-05-06');
  });
});
