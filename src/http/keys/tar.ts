/**
 * A POSIX (ustar) tar archive as Python's `tarfile` writes one for `POST /keys`
 * (docs/decisions/0004-tar-writer.md): regular files, mode 0644, uid/gid 0, mtime 0, no user or
 * group names, two zero blocks at the end and the whole padded to a 10240-byte record.
 */

const BLOCK = 512;
const RECORD = 20 * BLOCK;

export interface TarEntry {
  /** ASCII file name of at most 100 bytes. */
  name: string;
  data: Buffer;
}

/** `tarfile.itn`: `digits - 1` octal digits and a NUL. */
function octal(value: number, digits: number): string {
  return `${value.toString(8).padStart(digits - 1, '0')}\0`;
}

function header(entry: TarEntry): Buffer {
  const block = Buffer.alloc(BLOCK);
  const name = Buffer.from(entry.name, 'utf8');
  if (name.length > 100) throw new RangeError(`tar entry name too long: ${entry.name}`);
  name.copy(block, 0);
  block.write(octal(0o644, 8), 100, 'ascii'); // mode
  block.write(octal(0, 8), 108, 'ascii'); // uid
  block.write(octal(0, 8), 116, 'ascii'); // gid
  block.write(octal(entry.data.length, 12), 124, 'ascii'); // size
  block.write(octal(0, 12), 136, 'ascii'); // mtime
  block.write('        ', 148, 'ascii'); // checksum, counted as spaces
  block.write('0', 156, 'ascii'); // regular file
  block.write('ustar\x0000', 257, 'ascii'); // POSIX magic and version
  // uname, gname, devmajor, devminor and prefix stay NUL, as tarfile leaves them for regular files.
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0`, 148, 'ascii');
  return block;
}

export function tarArchive(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  let length = 0;
  for (const entry of entries) {
    const padding = (BLOCK - (entry.data.length % BLOCK)) % BLOCK;
    parts.push(header(entry), entry.data, Buffer.alloc(padding));
    length += BLOCK + entry.data.length + padding;
  }
  length += 2 * BLOCK;
  const total = Math.ceil(length / RECORD) * RECORD;
  parts.push(Buffer.alloc(total - length + 2 * BLOCK));
  return Buffer.concat(parts, total);
}
