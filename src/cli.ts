#!/usr/bin/env node
import { EXIT_FAILURE, runCli } from './main.js';

const outcome = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).catch(
  (err: unknown) => {
    process.stderr.write(`salt-apid: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return { exitCode: EXIT_FAILURE };
  },
);

if ('exitCode' in outcome) {
  process.exitCode = outcome.exitCode;
} else {
  const { daemon } = outcome;
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    daemon.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`salt-apid: unclean shutdown: ${String(err)}\n`);
        process.exit(EXIT_FAILURE);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // logrotate: reopen log_access_file and log_error_file (stdout, the main log, is journald's).
  process.on('SIGHUP', () => daemon.reopenLogs());
}
