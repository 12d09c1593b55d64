#!/usr/bin/env node
/**
 * `npm run bench:startup`: how long salt-apid takes from its spawn to its first 200 on `GET /`,
 * and its RSS then, against the demo master in a process of its own (as `npm run bench` starts
 * them), over several starts:
 *
 *   node dist/bench/startup.js [--runs 10] [--rest metrics=false ...] [--tsc | --command /usr/bin/salt-apid]
 *
 * The bundle that ships (dist/bundle/salt-apid.mjs) unless `--tsc` asks for the files tsc writes
 * (dist/cli.js) or `--command` names an installed salt-apid (the packages' launcher and Node.js).
 * Prints one Markdown row (min and median of each figure) for BENCHMARKS.md.
 */
import { parseArgs } from 'node:util';
import { CLI_ENTRIES, startLocalTarget } from './target.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    rest: { type: 'string', multiple: true, default: [] },
    tsc: { type: 'boolean', default: false },
    command: { type: 'string' },
  },
});

/** `key=value` pairs for the `rest_cherrypy` section. */
function restOptions(pairs: string[]): Record<string, string> {
  const options: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`--rest wants key=value, got ${JSON.stringify(pair)}`);
    options[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return options;
}

function minAndMedian(figures: number[]): { min: number; median: number } {
  const sorted = [...figures].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  return { min: sorted[0] ?? NaN, median: median ?? NaN };
}

const runs = Number(values.runs);
const rest = restOptions(values.rest);
const cli = values.command ?? (values.tsc ? CLI_ENTRIES.tsc : CLI_ENTRIES.bundle);
const build = values.command ?? (values.tsc ? 'tsc (dist/cli.js)' : 'bundle (dist/bundle/salt-apid.mjs)');
const startups: number[] = [];
const rss: number[] = [];
for (let run = 0; run < runs; run++) {
  // A port of its own each time: the previous server may still be closing.
  const port = Number(process.env['BENCH_PORT'] ?? 18080) + run;
  const target = await startLocalTarget(port, rest, {}, [], cli);
  startups.push(target.startupMs ?? NaN);
  rss.push(target.idleRssMb);
  await target.close();
}
const time = minAndMedian(startups);
const memory = minAndMedian(rss);
const label = values.rest.length === 0 ? 'defaults' : values.rest.join(', ');
process.stdout.write(
  '| build | configuration | runs | start to first 200, min / median ms | RSS at first 200, min / median MB |\n' +
    '|---|---|---|---|---|\n' +
    `| ${build} | ${label} | ${runs} | ${time.min.toFixed(0)} / ${time.median.toFixed(0)} | ` +
    `${memory.min.toFixed(1)} / ${memory.median.toFixed(1)} |\n`,
);
