/**
 * Python's `time.strftime` on Linux (glibc's strftime, C locale), for `%(asctime)s` in Salt's
 * `log_datefmt` / `log_datefmt_logfile`: the directives, glibc's flags (`-` no padding, `_` spaces,
 * `0` zeros, `^` upper case, `#` swapped case) and widths (`%10B`), the `E`/`O` modifiers (ignored
 * in the C locale). A directive glibc does not know is written as it stands, as glibc does.
 */

/** A moment as `time.localtime()` breaks it down. */
export interface BrokenDownTime {
  year: number;
  /** 1–12. */
  month: number;
  day: number;
  hours: number;
  minutes: number;
  seconds: number;
  /** 0 = Sunday. */
  weekday: number;
  /** 1–366. */
  yearDay: number;
  /** East of UTC, in minutes (Berlin in winter: 60). */
  utcOffsetMinutes: number;
  /** The zone's abbreviation (`%Z`). */
  zoneName: string;
  /** Seconds since the epoch (`%s`). */
  epochSeconds: number;
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** `time.localtime(seconds)` of a Date, in this process's time zone. */
export function localTime(date: Date): BrokenDownTime {
  const startOfYear = new Date(date.getFullYear(), 0, 1);
  const midnight = new Date(date.getFullYear(), date.getMonth(), date.getDate());
  return {
    year: date.getFullYear(),
    month: date.getMonth() + 1,
    day: date.getDate(),
    hours: date.getHours(),
    minutes: date.getMinutes(),
    seconds: date.getSeconds(),
    weekday: date.getDay(),
    yearDay: Math.round((midnight.getTime() - startOfYear.getTime()) / 86_400_000) + 1,
    utcOffsetMinutes: -date.getTimezoneOffset(),
    zoneName: zoneName(date),
    epochSeconds: Math.floor(date.getTime() / 1000),
  };
}

/** Node knows zones by IANA name, not by tzdata's abbreviations: `UTC`, else what Intl calls it. */
function zoneName(date: Date): string {
  const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' })
    .formatToParts(date)
    .find((p) => p.type === 'timeZoneName');
  return part?.value ?? '';
}

interface Rendered {
  text: string;
  /** Numbers pad to a width, with zeros (or spaces for %e, %k, %l); text is never padded. */
  width?: number;
  space?: boolean;
}

/** ISO 8601 week number and its year (`%V`, `%G`). */
function isoWeek(tm: BrokenDownTime): { week: number; year: number } {
  const isoWeekday = tm.weekday === 0 ? 7 : tm.weekday;
  const thursdayYearDay = tm.yearDay - isoWeekday + 4;
  const daysInYear = (year: number): number => (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 366 : 365);
  if (thursdayYearDay < 1) {
    const previous = daysInYear(tm.year - 1);
    return { week: Math.floor((thursdayYearDay + previous - 1) / 7) + 1, year: tm.year - 1 };
  }
  if (thursdayYearDay > daysInYear(tm.year)) return { week: 1, year: tm.year + 1 };
  return { week: Math.floor((thursdayYearDay - 1) / 7) + 1, year: tm.year };
}

function offset(tm: BrokenDownTime): string {
  const minutes = Math.abs(tm.utcOffsetMinutes);
  const sign = tm.utcOffsetMinutes < 0 ? '-' : '+';
  return `${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}${String(minutes % 60).padStart(2, '0')}`;
}

const hour12 = (hours: number): number => (hours % 12 === 0 ? 12 : hours % 12);

/** Numbers: their value, the width glibc pads them to, and whether with spaces (%e, %k, %l). */
const NUMBERS: Readonly<Record<string, [(tm: BrokenDownTime) => number, number, boolean?]>> = {
  C: [(tm) => Math.floor(tm.year / 100), 2],
  d: [(tm) => tm.day, 2],
  e: [(tm) => tm.day, 2, true],
  g: [(tm) => isoWeek(tm).year % 100, 2],
  G: [(tm) => isoWeek(tm).year, 1],
  H: [(tm) => tm.hours, 2],
  I: [(tm) => hour12(tm.hours), 2],
  j: [(tm) => tm.yearDay, 3],
  k: [(tm) => tm.hours, 2, true],
  l: [(tm) => hour12(tm.hours), 2, true],
  m: [(tm) => tm.month, 2],
  M: [(tm) => tm.minutes, 2],
  s: [(tm) => tm.epochSeconds, 1],
  S: [(tm) => tm.seconds, 2],
  u: [(tm) => (tm.weekday === 0 ? 7 : tm.weekday), 1],
  U: [(tm) => Math.floor((tm.yearDay - 1 + 7 - tm.weekday) / 7), 2],
  V: [(tm) => isoWeek(tm).week, 2],
  w: [(tm) => tm.weekday, 1],
  W: [(tm) => Math.floor((tm.yearDay - 1 + 7 - ((tm.weekday + 6) % 7)) / 7), 2],
  y: [(tm) => tm.year % 100, 2],
  Y: [(tm) => tm.year, 1],
};

/** Text, never padded unless a width asks: names, and the directives made of others. */
const TEXTS: Readonly<Record<string, (tm: BrokenDownTime) => string>> = {
  a: (tm) => DAYS[tm.weekday]!.slice(0, 3),
  A: (tm) => DAYS[tm.weekday]!,
  b: (tm) => MONTHS[tm.month - 1]!.slice(0, 3),
  h: (tm) => MONTHS[tm.month - 1]!.slice(0, 3),
  B: (tm) => MONTHS[tm.month - 1]!,
  p: (tm) => (tm.hours < 12 ? 'AM' : 'PM'),
  P: (tm) => (tm.hours < 12 ? 'am' : 'pm'),
  z: offset,
  Z: (tm) => tm.zoneName,
  n: () => '\n',
  t: () => '\t',
  '%': () => '%',
  c: (tm) => strftime('%a %b %e %H:%M:%S %Y', tm),
  D: (tm) => strftime('%m/%d/%y', tm),
  x: (tm) => strftime('%m/%d/%y', tm),
  F: (tm) => strftime('%Y-%m-%d', tm),
  r: (tm) => strftime('%I:%M:%S %p', tm),
  R: (tm) => strftime('%H:%M', tm),
  T: (tm) => strftime('%H:%M:%S', tm),
  X: (tm) => strftime('%H:%M:%S', tm),
};

function render(directive: string, tm: BrokenDownTime): Rendered | undefined {
  const number = Object.hasOwn(NUMBERS, directive) ? NUMBERS[directive] : undefined;
  if (number) return { text: String(number[0](tm)), width: number[1], space: number[2] ?? false };
  const text = Object.hasOwn(TEXTS, directive) ? TEXTS[directive] : undefined;
  return text && { text: text(tm) };
}

const DIRECTIVE = /%([-_0^#]*)(\d*)([EO]?)(.?)/gsu;

/** `time.strftime(format, tm)`. */
export function strftime(format: string, tm: BrokenDownTime): string {
  return format.replace(DIRECTIVE, (whole, flags: string, widthText: string, _modifier: string, directive: string) => {
    const rendered = directive === '' ? undefined : render(directive, tm);
    if (rendered === undefined) return whole;
    let text = rendered.text;
    if (flags.includes('^') || (flags.includes('#') && directive !== 'Z' && directive !== 'p')) {
      text = text.toUpperCase();
    } else if (flags.includes('#')) text = text.toLowerCase();
    // Bounded: a width past 4 digits is glibc's to honour, not a log line's.
    const width = Math.min(Number(widthText || 0), 1024) || (rendered.width ?? 0);
    if (flags.includes('-') || text.length >= width) return text;
    if (rendered.width === undefined && !flags.includes('0')) return text.padStart(width, ' ');
    const space = flags.includes('_') || (rendered.space === true && !flags.includes('0'));
    const negative = text.startsWith('-');
    const digits = negative ? text.slice(1) : text;
    const padded = digits.padStart(width - (negative ? 1 : 0), space ? ' ' : '0');
    return negative ? `-${padded}` : padded;
  });
}
