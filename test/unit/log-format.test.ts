import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { SALT_LOG_FORMATS, TextLogFormat } from '../../src/log-text.js';
import { pythonFloat } from '../../src/python/float.js';
import { formatPercent, parsePercentFormat, PercentFormatError } from '../../src/python/percent-format.js';
import { strftime } from '../../src/python/strftime.js';
import { loadConfig, removeConfigTrees, writeConfigTree } from '../support/config-tree.js';

afterEach(removeConfigTrees);

type Typed = ['int' | 'float' | 'str' | 'none' | 'bool', unknown];

interface Recorded {
  python: string;
  mapping: Record<string, Typed>;
  record: { name: string; levelno: number; msg: string; process: number; created: number };
  percent: Array<{ format: string; result: string | null }>;
  strftime: Array<{ seconds: number; format: string; result: string }>;
  formatter: Array<{ format: string; datefmt: string; result: string }>;
}

/** What Python 3.11 made of each case (log_format_fixture.py). */
const recorded = JSON.parse(
  readFileSync(new URL('../fixtures/python/log-format.json', import.meta.url), 'utf8'),
) as Recorded;

function valueOf([kind, raw]: Typed): unknown {
  if (kind === 'float') return pythonFloat(raw as number);
  if (kind === 'none') return null;
  return raw;
}

const mapping = new Map(Object.entries(recorded.mapping).map(([key, typed]) => [key, valueOf(typed)]));

function percent(format: string): string | null {
  let parsed;
  try {
    parsed = parsePercentFormat(format);
  } catch (err) {
    if (err instanceof PercentFormatError) return null;
    throw err;
  }
  return formatPercent(parsed, (key) => mapping.get(key)) ?? null;
}

describe("Python's format % mapping", () => {
  it.each(recorded.percent.map((c) => [c.format, c.result] as const))('%j → %j', (format, result) => {
    expect(percent(format)).toBe(result);
  });

  it('refuses a field without a name: against a record Python would print the whole record', () => {
    expect(() => parsePercentFormat('%s')).toThrow(/requires a mapping/);
  });
});

describe("Python's time.strftime", () => {
  it.each(recorded.strftime.map((c) => [c.seconds, c.format, c.result] as const))(
    '%d %j → %j',
    (seconds, format, result) => {
      const date = new Date(seconds * 1000);
      const startOfYear = Date.UTC(date.getUTCFullYear(), 0, 1);
      const tm = {
        year: date.getUTCFullYear(),
        month: date.getUTCMonth() + 1,
        day: date.getUTCDate(),
        hours: date.getUTCHours(),
        minutes: date.getUTCMinutes(),
        seconds: date.getUTCSeconds(),
        weekday: date.getUTCDay(),
        yearDay: Math.floor((seconds * 1000 - startOfYear) / 86_400_000) + 1,
        utcOffsetMinutes: 0,
        // time.gmtime() names its zone GMT.
        zoneName: 'GMT',
        epochSeconds: seconds,
      };
      expect(strftime(format, tm)).toBe(result);
    },
  );
});

describe('text log lines in Salt formats', () => {
  const savedTz = process.env['TZ'];
  beforeAll(() => {
    process.env['TZ'] = 'UTC';
  });
  afterAll(() => {
    if (savedTz === undefined) delete process.env['TZ'];
    else process.env['TZ'] = savedTz;
  });

  const { record } = recorded;
  const pinoLine = JSON.stringify({
    level: 40,
    time: Math.round(record.created * 1000),
    service: 'salt-apid',
    pid: record.process,
    component: 'master',
    msg: record.msg,
  });

  it.each(recorded.formatter.map((c) => [c.format, c.datefmt, c.result] as const))(
    '%j (dates %j) as logging.Formatter writes it',
    (format, datefmt, result) => {
      expect(TextLogFormat.compile({ format, datefmt }).render(pinoLine)).toBe(`${result}\n`);
    },
  );

  const render = (format: string, line: Record<string, unknown>): string =>
    TextLogFormat.compile({ format, datefmt: SALT_LOG_FORMATS.datefmt }).render(
      JSON.stringify({ level: 30, time: 0, service: 'salt-apid', ...line }),
    );

  it("Salt's own fields: brackets, and colours as Salt's console gives them", () => {
    const line = { level: 40, pid: 4242, component: 'master', msg: 'no master' };
    expect(render('%(bracketname)s%(bracketlevel)s%(bracketprocess)s', line)).toBe(
      '[salt-apid.master ][WARNING ][ 4242]\n',
    );
    expect(render('%(colorname)s %(colorlevel)s %(colorprocess)s %(colormsg)s', line)).toBe(
      '\x1b[0;1;32m[salt-apid.master ]\x1b[0;0m \x1b[0;1;33m[WARNING ]\x1b[0;0m ' +
        '\x1b[0;1;34m[ 4242]\x1b[0;0m \x1b[0;33mno master\x1b[0;0m\n',
    );
    expect(render('%(jid)s%(minion_id)s|%(levelname)s %(levelno)d', { level: 10, msg: '' })).toBe('|TRACE 5\n');
  });

  it("the access line is the message, as salt-api's console writes it", () => {
    const access = '127.0.0.1 - - [06/Dec/2026:20:19:22] "GET / HTTP/1.1" 200 157 "" "curl/7.88.1"';
    const line = { reqId: 'req-1', access: { url: '/', status: 200 }, msg: access };
    expect(render(SALT_LOG_FORMATS.console, line)).toBe(`[INFO    ] ${access}\n`);
    expect(render('%(name)s', line)).toBe('salt-apid.access\n');
  });

  it("the line's own fields follow the message; an error's stack follows the line, as a traceback", () => {
    const line = {
      component: 'master',
      msg: 'salt-apid is listening',
      url: 'http://127.0.0.1:8000',
      config: '/etc/salt/my master',
      password: '[redacted]',
      n: 3,
      creds: { token: '[redacted]' },
    };
    expect(render(SALT_LOG_FORMATS.console, line)).toBe(
      '[INFO    ] salt-apid is listening url=http://127.0.0.1:8000 config="/etc/salt/my master" ' +
        'password=[redacted] n=3 creds={"token":"[redacted]"}\n',
    );
    const err = { type: 'Error', message: 'boom', stack: 'Error: boom\n    at here (x.js:1:1)' };
    expect(render('%(levelname)s %(message)s', { level: 50, msg: 'failed', err })).toBe(
      'ERROR failed\nError: boom\n    at here (x.js:1:1)\n',
    );
  });

  it('a message never breaks the line', () => {
    expect(render('%(message)s', { msg: 'one\ntwo\rthree', user: 'a\nb' })).toBe('one\\ntwo\\rthree user="a\\nb"\n');
  });

  it('a line that is not a JSON object passes as it is', () => {
    const text = TextLogFormat.compile({ format: '%(message)s', datefmt: '' });
    expect(text.render('not json\n')).toBe('not json\n');
    expect(text.render('[1]\n')).toBe('[1]\n');
  });

  it.each([
    ['no field', /names no %\(field\)s/],
    ['%(message)s %(lineno)s %(nope)s', /no field %\(nope\)s/],
    ['%(levelname)d', /%\(levelname\)d does not fit/],
    ['%(message)s %s', /requires a mapping/],
    ['%(message)y', /unsupported format character 'y'/],
    ['%(message)s %', /incomplete format/],
  ])('refuses %j', (format, problem) => {
    expect(() => TextLogFormat.compile({ format, datefmt: '' })).toThrow(problem);
  });

  it('createLogger writes text where a format is given, JSON elsewhere', async () => {
    const out = new PassThrough();
    const file = new PassThrough();
    let outText = '';
    let fileText = '';
    out.on('data', (chunk: Buffer) => (outText += chunk.toString()));
    file.on('data', (chunk: Buffer) => (fileText += chunk.toString()));
    const logger = createLogger({
      destination: out,
      format: TextLogFormat.compile({ format: SALT_LOG_FORMATS.console, datefmt: SALT_LOG_FORMATS.datefmt }),
      files: [{ level: 'warn', sink: file }],
    });
    logger.info({ password: 'Pw-9f3c' }, 'hello');
    logger.warn('careful');
    await new Promise((resolve) => setImmediate(resolve));
    expect(outText).toBe('[INFO    ] hello password=[redacted]\n[WARNING ] careful\n');
    expect(JSON.parse(fileText)).toMatchObject({ level: 40, msg: 'careful' });
  });
});

describe('log formats in the master config', () => {
  function logTextOf(text: string) {
    const dir = writeConfigTree({ master: `${text}\nrest_cherrypy: {port: 8000}\n` });
    return loadConfig(dir).settings.master.logText;
  }

  it('not set: JSON lines on both outputs', () => {
    expect(logTextOf('log_datefmt: "%H"')).toEqual({ console: undefined, logfile: undefined });
  });

  it("set: text, dated by log_datefmt / log_datefmt_logfile, else Salt's date formats", () => {
    expect(logTextOf("log_fmt_console: '%(asctime)s %(message)s'\nlog_datefmt: '%d.%m. %H:%M'")).toEqual({
      console: { format: '%(asctime)s %(message)s', datefmt: '%d.%m. %H:%M' },
      logfile: undefined,
    });
    expect(logTextOf("log_fmt_logfile: '%(asctime)s %(message)s'").logfile).toEqual({
      format: '%(asctime)s %(message)s',
      datefmt: '%Y-%m-%d %H:%M:%S',
    });
    expect(logTextOf("log_fmt_logfile: '%(message)s'\nlog_datefmt_logfile: '%s'\nlog_datefmt: '%H'").logfile).toEqual({
      format: '%(message)s',
      datefmt: '%s',
    });
  });

  it("empty: Salt's default format, as in Salt", () => {
    expect(logTextOf("log_fmt_console: ''\nlog_fmt_logfile: ''")).toEqual({
      console: { format: SALT_LOG_FORMATS.console, datefmt: '%H:%M:%S' },
      logfile: { format: SALT_LOG_FORMATS.logfile, datefmt: '%Y-%m-%d %H:%M:%S' },
    });
  });

  it('a format Python would refuse stops the start, naming the file and the option', () => {
    expect(() => logTextOf("log_fmt_console: '%(levelname)s %(colour)s'")).toThrow(
      /log_fmt_console.*no field %\(colour\)s/,
    );
    expect(() => logTextOf('log_fmt_logfile: [a, b]')).toThrow(/log_fmt_logfile.*must be a string/);
  });
});
