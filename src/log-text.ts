/**
 * Text log lines in Salt's formats (docs/decisions/0025-log-formats.md). salt-apid logs JSON
 * lines; an output whose master option `log_fmt_console` / `log_fmt_logfile` is set writes each
 * line instead as Python's `logging.Formatter(fmt, datefmt)` would: the format's `%(field)s` taken
 * from the pino line, `%(asctime)s` by `log_datefmt` / `log_datefmt_logfile`. The fields are a
 * Python log record's and Salt's own (`bracketlevel`, `colorlevel`, `jid`…), so any format salt-api
 * accepts works here; one that names anything else is refused at start.
 */
import { threadId } from 'node:worker_threads';
import { pythonFloat } from './python/float.js';
import {
  formatPercent,
  parsePercentFormat,
  percentKeys,
  PercentFormatError,
  type PercentFormat,
} from './python/percent-format.js';
import { localTime, strftime } from './python/strftime.js';

/** Salt's defaults (`salt._logging`): console, log file, and their date formats. */
export const SALT_LOG_FORMATS = {
  console: '[%(levelname)-8s] %(message)s',
  logfile: '%(asctime)s,%(msecs)03d [%(name)-17s:%(lineno)-4d][%(levelname)-8s][%(process)d] %(message)s',
  datefmt: '%H:%M:%S',
  datefmtLogfile: '%Y-%m-%d %H:%M:%S',
} as const;

/** A text output's format and date format, as read from the master config. */
export interface TextLogSpec {
  format: string;
  datefmt: string;
}

/** pino's level numbers → Python's names and numbers (Salt's TRACE is 5). */
const LEVELS: ReadonlyMap<number, { name: string; number: number }> = new Map([
  [10, { name: 'TRACE', number: 5 }],
  [20, { name: 'DEBUG', number: 10 }],
  [30, { name: 'INFO', number: 20 }],
  [40, { name: 'WARNING', number: 30 }],
  [50, { name: 'ERROR', number: 40 }],
  [60, { name: 'CRITICAL', number: 50 }],
]);

/** Salt's `TextFormat`: reset first, then the attributes. */
const sgr = (...codes: number[]): string => `\x1b[${[0, ...codes].join(';')}m`;
const RESET = sgr(0);
const BOLD = 1;
const [RED, GREEN, YELLOW, BLUE, MAGENTA, CYAN] = [31, 32, 33, 34, 35, 36];
/** Salt's LOG_COLORS: the level's colour in `colorlevel`, the message's in `colormsg`. */
const LEVEL_COLORS: Readonly<Record<string, { level: string; msg: string }>> = {
  CRITICAL: { level: sgr(BOLD, RED), msg: sgr(BOLD, RED) },
  ERROR: { level: sgr(BOLD, RED), msg: sgr(RED) },
  WARNING: { level: sgr(BOLD, YELLOW), msg: sgr(YELLOW) },
  INFO: { level: sgr(BOLD, GREEN), msg: sgr(GREEN) },
  DEBUG: { level: sgr(BOLD, CYAN), msg: sgr(CYAN) },
  TRACE: { level: sgr(BOLD, MAGENTA), msg: sgr(MAGENTA) },
};
const NAME_COLOR = sgr(BOLD, GREEN);
const PROCESS_COLOR = sgr(BOLD, BLUE);

/** The fields pino's lines carry that the record's other fields already say, or that stay out of text. */
const NOT_EXTRA = new Set([
  'level',
  'time',
  'pid',
  'hostname',
  'service',
  'msg',
  'err',
  'component',
  'reqId',
  'access',
]);

/** Where salt-apid's logging started (Python's `relativeCreated` counts from its logging module's import). */
const STARTED_AT = Date.now();

type Line = Record<string, unknown>;

interface LineRecord {
  time: number;
  level: { name: string; number: number };
  name: string;
  pid: number;
  /** Python's getMessage(): the message with the line's own fields. */
  message: string;
  /** The error's stack, written after the line as Python writes a traceback. */
  traceback: string | undefined;
}

/** A text of one line: a message never breaks the log's lines (only a traceback does). */
const oneLine = (text: string): string => text.replaceAll('\r', '\\r').replaceAll('\n', '\\n');

function extraValue(value: unknown): string {
  if (typeof value === 'string' && /^[^\s"=\\]+$/u.test(value)) return value;
  return JSON.stringify(value) ?? String(value);
}

function recordOf(line: Line): LineRecord {
  const level = LEVELS.get(Number(line['level'])) ?? { name: `Level ${String(line['level'])}`, number: 0 };
  const component = line['component'];
  const name =
    line['access'] !== undefined
      ? 'salt-apid.access'
      : typeof component === 'string'
        ? `salt-apid.${component}`
        : 'salt-apid';
  const extras = Object.entries(line)
    .filter(([key]) => !NOT_EXTRA.has(key))
    .map(([key, value]) => ` ${oneLine(key)}=${extraValue(value)}`)
    .join('');
  const msg = line['msg'];
  const err = line['err'] as { stack?: unknown; type?: unknown; message?: unknown } | undefined;
  const traceback =
    err === undefined || err === null
      ? undefined
      : typeof err.stack === 'string'
        ? err.stack
        : `${typeof err.type === 'string' ? err.type : 'Error'}: ${typeof err.message === 'string' ? err.message : ''}`;
  return {
    time: typeof line['time'] === 'number' ? line['time'] : Date.now(),
    level,
    name,
    pid: typeof line['pid'] === 'number' ? line['pid'] : process.pid,
    message: oneLine((typeof msg === 'string' ? msg : msg === undefined ? '' : JSON.stringify(msg)) + extras),
    traceback,
  };
}

type Field = (record: LineRecord, datefmt: string) => unknown;

const bracketName = (r: LineRecord): string => `[${r.name.padEnd(17)}]`;
const bracketLevel = (r: LineRecord): string => `[${r.level.name.padEnd(8)}]`;
const bracketProcess = (r: LineRecord): string => `[${String(r.pid).padStart(5)}]`;
const colorsOf = (r: LineRecord): { level: string; msg: string } =>
  LEVEL_COLORS[r.level.name] ?? { level: RESET, msg: RESET };

/**
 * A Python LogRecord's attributes and Salt's additions (SaltLogRecord, SaltColorLogRecord). What
 * salt-apid cannot know, Python's own placeholders stand for: the source file, function and line.
 */
const FIELDS: ReadonlyMap<string, Field> = new Map<string, Field>([
  ['name', (r) => r.name],
  ['msg', (r) => r.message],
  ['message', (r) => r.message],
  ['args', () => '()'],
  ['levelname', (r) => r.level.name],
  ['levelno', (r) => r.level.number],
  ['asctime', (r, datefmt) => strftime(datefmt, localTime(new Date(r.time)))],
  ['created', (r) => pythonFloat(r.time / 1000)],
  ['msecs', (r) => pythonFloat(Math.floor(r.time % 1000))],
  ['relativeCreated', (r) => pythonFloat(r.time - STARTED_AT)],
  ['process', (r) => r.pid],
  ['processName', () => 'MainProcess'],
  ['thread', () => threadId],
  ['threadName', () => 'MainThread'],
  ['taskName', () => null],
  ['pathname', () => '(unknown file)'],
  ['filename', () => '(unknown file)'],
  ['module', () => '(unknown file)'],
  ['funcName', () => '(unknown function)'],
  ['lineno', () => 0],
  ['exc_info', () => null],
  ['exc_text', (r) => r.traceback ?? null],
  ['stack_info', () => null],
  ['exc_info_on_loglevel', () => null],
  // salt-api runs no job and no minion: Salt leaves these empty there.
  ['jid', () => ''],
  ['minion_id', () => ''],
  ['bracketname', bracketName],
  ['bracketlevel', bracketLevel],
  ['bracketprocess', bracketProcess],
  ['colorname', (r) => `${NAME_COLOR}${bracketName(r)}${RESET}`],
  ['colorlevel', (r) => `${colorsOf(r).level}${bracketLevel(r)}${RESET}`],
  ['colorprocess', (r) => `${PROCESS_COLOR}${bracketProcess(r)}${RESET}`],
  ['colormsg', (r) => `${colorsOf(r).msg}${r.message}${RESET}`],
]);

/** A line to check a format against: every field has its type. */
const SAMPLE: Line = { level: 30, time: 0, msg: 'sample' };

export class TextLogFormat {
  private constructor(
    private readonly format: PercentFormat,
    private readonly datefmt: string,
  ) {}

  /**
   * Throws PercentFormatError, in words for the option, when Python's logging would refuse the
   * format or fail on every line: no `%(field)` at all, a field no record has, `%(levelname)d`.
   */
  static compile(spec: TextLogSpec): TextLogFormat {
    const format = parsePercentFormat(spec.format);
    const keys = percentKeys(format);
    if (keys.length === 0) throw new PercentFormatError('names no %(field)s, as Python requires');
    const unknown = keys.find((key) => !FIELDS.has(key));
    if (unknown !== undefined) throw new PercentFormatError(`a log record has no field %(${unknown})s`);
    const text = new TextLogFormat(format, spec.datefmt);
    for (const part of format) {
      if (typeof part === 'string') continue;
      if (formatPercent([part], (key) => text.field(recordOf(SAMPLE), key)) === undefined) {
        throw new PercentFormatError(`%(${part.key})${part.conversion} does not fit the field's type`);
      }
    }
    return text;
  }

  private field(record: LineRecord, key: string): unknown {
    return FIELDS.get(key)?.(record, this.datefmt);
  }

  /** One pino line (JSON) as text, with its newline; a line that is not JSON passes as it is. */
  render(jsonLine: string): string {
    let line: unknown;
    try {
      line = JSON.parse(jsonLine);
    } catch {
      return jsonLine;
    }
    if (line === null || typeof line !== 'object' || Array.isArray(line)) return jsonLine;
    const record = recordOf(line as Line);
    const text = formatPercent(this.format, (key) => this.field(record, key)) ?? record.message;
    return record.traceback === undefined ? `${text}\n` : `${text}\n${record.traceback}\n`;
  }
}

/** The same output, written as text lines. */
export class TextLines {
  constructor(
    private readonly inner: { write(line: string): unknown },
    private readonly format: TextLogFormat,
  ) {}

  write(line: string): boolean {
    this.inner.write(this.format.render(line));
    return true;
  }
}
