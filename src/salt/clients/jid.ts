/** Jids as Salt writes them: `YYYYMMDDhhmmssffffff` in local time (`salt.utils.jid.gen_jid`). */

function nowMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

let lastJidMicros = 0;

/** A new jid, unique within this process (bumped by 1 µs on collision, like `unique_jid`). */
export function genJid(): string {
  const now = nowMicros();
  lastJidMicros = now > lastJidMicros ? now : lastJidMicros + 1;
  const d = new Date(Math.floor(lastJidMicros / 1000));
  return (
    `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}` +
    `${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}${pad(lastJidMicros % 1_000_000, 6)}`
  );
}
