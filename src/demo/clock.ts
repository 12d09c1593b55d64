/**
 * Wall-clock readings at microsecond precision, written the way Salt writes them: `_stamp`
 * (UTC ISO-8601 with an explicit offset, as 3008 does), jids (`YYYYMMDDhhmmssffffff`, local time
 * like `salt.utils.jid.gen_jid`) and the job cache's `StartTime`.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function nowMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `datetime.now(timezone.utc).isoformat()`: no fraction when the microseconds are zero. */
export function isoStamp(micros: number = nowMicros()): string {
  const micro = micros % 1_000_000;
  const base = new Date(Math.floor(micros / 1000)).toISOString().slice(0, 19);
  return micro === 0 ? `${base}+00:00` : `${base}.${pad(micro, 6)}+00:00`;
}

function formatJid(micros: number): string {
  const d = new Date(Math.floor(micros / 1000));
  return (
    `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}` +
    `${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}${pad(micros % 1_000_000, 6)}`
  );
}

/** Unique, increasing jids (Salt's `unique_jid` behaviour: bump by 1 µs on collision). */
export class JidGenerator {
  private last = 0;

  next(): string {
    const now = nowMicros();
    this.last = now > this.last ? now : this.last + 1;
    return formatJid(this.last);
  }
}

/** `salt.utils.jid.jid_to_time`: "2026, Nov 23 08:06:52.800357", or "" for a malformed jid. */
export function jidToTime(jid: string): string {
  if (!/^\d{20}(_.*)?$/.test(jid)) return '';
  const month = MONTHS[Number(jid.slice(4, 6)) - 1];
  if (month === undefined) return '';
  return `${jid.slice(0, 4)}, ${month} ${jid.slice(6, 8)} ${jid.slice(8, 10)}:${jid.slice(10, 12)}:${jid.slice(12, 14)}.${jid.slice(14, 20)}`;
}
