/**
 * A stand-in for the `salt-ssh` program, run by a shell wrapper that test/support/salt-ssh.ts puts on
 * PATH. It does what the real one does that salt-apid can see: reads its command line (and a
 * Saltfile, if given), fires each host's `salt/job/<jid>/ret/<host>` event into the master's pull
 * socket, prints `--static` JSON (and its stderr) and exits with a status. The scenario comes in FAKE_SALT_SSH.
 */
import { copyFile, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import type { SaltMap } from '../../src/salt/codec/values.js';
import { encodeEventFrame } from '../../src/salt/event-frame.js';

export interface FakeSaltSshScenario {
  /** Where the arguments are written, one per line. */
  argsFile: string;
  /** Where a Saltfile given with --saltfile is copied, with its mode in `<file>.mode`. */
  saltfileCopy: string;
  /** The master's pull socket, and the framing it reads. */
  pullPath: string;
  /** Events to fire, by host: the data salt-ssh puts in `salt/job/<jid>/ret/<host>`. */
  events: Record<string, SaltMap>;
  stdout: string;
  /** What salt-ssh writes on stderr (its log lines, a traceback when it fails). */
  stderr: string;
  exitCode: number;
}

const scenario = JSON.parse(process.env['FAKE_SALT_SSH'] ?? '{}') as FakeSaltSshScenario;
const argv = process.argv.slice(2);
await writeFile(scenario.argsFile, argv.join('\n') + '\n');
const saltfile = argv.find((arg) => arg.startsWith('--saltfile='))?.slice('--saltfile='.length);
if (saltfile !== undefined) {
  await copyFile(saltfile, scenario.saltfileCopy);
  await writeFile(`${scenario.saltfileCopy}.mode`, ((await stat(saltfile)).mode & 0o777).toString(8));
}
const jid = argv.find((arg) => arg.startsWith('--jid='))?.slice('--jid='.length) ?? '';
const hosts = Object.entries(scenario.events);
if (hosts.length > 0) {
  const socket = connect(scenario.pullPath);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  for (const [host, data] of hosts) {
    const event = { ...data, jid, _stamp: '2026-11-25T21:00:00.000000' };
    socket.write(encodeEventFrame(`salt/job/${jid}/ret/${host}`, event, 'len32'));
  }
  await new Promise<void>((resolve) => socket.end(resolve));
}
process.stdout.write(scenario.stdout);
process.stderr.write(scenario.stderr);
process.exitCode = scenario.exitCode;
