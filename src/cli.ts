#!/usr/bin/env node
import { EXIT_FAILURE, runCli } from './main.js';

/** How long after `shutdown_timeout` a shutdown that is still not done is given up on. */
const FORCED_EXIT_GRACE_MS = 5_000;

const outcome = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).catch(
  (err: unknown) => {
    process.stderr.write(`salt-apid: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return { exitCode: EXIT_FAILURE };
  },
);

if ('exitCode' in outcome) {
  process.exitCode = outcome.exitCode;
} else if ('pool' in outcome) {
  // `workers: N`: this process only supervises; the workers stop on their own shutdown_timeout.
  const { pool } = outcome;
  const stop = (signal: NodeJS.Signals): void => {
    void pool.stop(signal).then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => pool.reopenLogs());
} else {
  const { daemon } = outcome;
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // A second signal: the operator does not want to wait for the requests in flight.
      process.stderr.write(`salt-apid: ${signal} again: stopping at once\n`);
      process.exit(EXIT_FAILURE);
    }
    stopping = true;
    // daemon.stop() closes what is still open at shutdown_timeout; should anything else hold it
    // up, the process still ends a little later.
    setTimeout(
      () => {
        process.stderr.write('salt-apid: shutdown_timeout passed and shutdown still not done: stopping at once\n');
        process.exit(EXIT_FAILURE);
      },
      daemon.settings.rest.shutdownTimeout * 1000 + FORCED_EXIT_GRACE_MS,
    ).unref();
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
  // logrotate: reopen api_logfile, log_access_file, log_error_file and log_audit_file (stdout is journald's).
  process.on('SIGHUP', () => daemon.reopenLogs());
}
