import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { exposedMetrics, type ExposedMetrics } from '../support/exposed-metrics.js';
import { seriesSelectors, type SeriesSelector } from '../support/promql.js';

/**
 * contrib/prometheus/alerts.yml and contrib/grafana/salt-apid.json query salt-apid's metrics by name:
 * they must not drift from src/http/stats/metrics.ts. promtool checks the rules themselves (CI:
 * contrib/prometheus/check.sh).
 */

type Mapping = Record<string, unknown>;

function mapping(value: unknown, where: string): Mapping {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${where}: expected a mapping, found ${JSON.stringify(value)}`);
  }
  return value as Mapping;
}

function list(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${where}: expected a list, found ${JSON.stringify(value)}`);
  return value as unknown[];
}

function text(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new Error(`${where}: expected a string, found ${JSON.stringify(value)}`);
  return value;
}

function contribFile(path: string): string {
  return readFileSync(new URL(`../../contrib/${path}`, import.meta.url), 'utf8');
}

interface Query {
  /** Where it is: the alert's name, or the panel's title and the target's refId. */
  where: string;
  expr: string;
}

function alertRules(): Mapping[] {
  const groups = list(mapping(load(contribFile('prometheus/alerts.yml')), 'alerts.yml').groups, 'groups');
  return groups.flatMap((group, index) =>
    list(mapping(group, `groups[${index}]`).rules, `groups[${index}].rules`).map((rule, at) =>
      mapping(rule, `groups[${index}].rules[${at}]`),
    ),
  );
}

function dashboard(): Mapping {
  return mapping(JSON.parse(contribFile('grafana/salt-apid.json')), 'salt-apid.json');
}

/** Every panel, those inside rows included. */
function panels(container: Mapping): Mapping[] {
  const own = list(container.panels ?? [], 'panels').map((panel, index) => mapping(panel, `panels[${index}]`));
  return own.flatMap((panel) => [panel, ...panels(panel)]);
}

function panelQueries(board: Mapping): Query[] {
  return panels(board).flatMap((panel) =>
    list(panel.targets ?? [], `panel ${String(panel.title)} targets`).map((target) => {
      const { refId, expr } = mapping(target, `panel ${String(panel.title)} target`);
      const where = `panel "${String(panel.title)}" ${String(refId)}`;
      return { where, expr: text(expr, where) };
    }),
  );
}

function variables(board: Mapping): Mapping[] {
  const templating = mapping(board.templating, 'templating');
  return list(templating.list, 'templating.list').map((variable, index) => mapping(variable, `templating[${index}]`));
}

function variableQueries(board: Mapping): Query[] {
  return variables(board)
    .filter((variable) => variable.type === 'query')
    .map((variable) => {
      const where = `variable ${String(variable.name)}`;
      const { query } = variable;
      return { where, expr: text(typeof query === 'string' ? query : mapping(query, where).query, where) };
    });
}

function alertQueries(): Query[] {
  return alertRules().map((rule) => {
    const where = `alert ${String(rule.alert)}`;
    return { where, expr: text(rule.expr, where) };
  });
}

/** Labels every scraped series may have besides its own: the target's, and the worker of a per-process value. */
const SCRAPE_LABELS = new Set(['job', 'instance', 'worker']);
/** Labels whose values are open (routes, statuses, configured rules, drivers): their values are not checked. */
const OPEN_LABELS = new Set(['route', 'method', 'status', 'command', 'rule', 'driver']);
/** A matcher value that is a plain word or an alternation of words (`timeout|unavailable`). */
const WORDS = /^[a-z_]+(?:\|[a-z_]+)*$/;

/** What is wrong with each selector: an unknown name, a label its series never has, a value it never takes. */
function drift(queries: Query[], exposed: ExposedMetrics): string[] {
  const problems: string[] = [];
  const check = ({ where }: Query, { name, matchers }: SeriesSelector): void => {
    if (name === 'up') return;
    const labels = exposed.get(name);
    if (labels === undefined) {
      problems.push(`${where}: ${name} is not a metric salt-apid exposes`);
      return;
    }
    for (const { label, op, value } of matchers) {
      const values = labels.get(label);
      if (SCRAPE_LABELS.has(label)) continue;
      if (values === undefined) problems.push(`${where}: ${name} has no label ${label}`);
      else if (!OPEN_LABELS.has(label) && (op === '=' || op === '=~') && WORDS.test(value)) {
        for (const word of value.split('|')) {
          if (!values.has(word)) problems.push(`${where}: ${name}{${label}} is never "${word}"`);
        }
      }
    }
  };
  for (const query of queries) for (const selector of seriesSelectors(query.expr)) check(query, selector);
  return problems;
}

let exposed: ExposedMetrics;
beforeAll(async () => {
  exposed = await exposedMetrics();
});

describe('the selectors of a PromQL expression', () => {
  it('names the metrics of the salt-apid families with their matchers, and nothing in strings or clauses', () => {
    const expr =
      'sum by (instance) (rate(saltapid_http_requests_total{instance=~"$instance", status=~"5.."}[$__rate_interval]))' +
      ' / on (job) up{job="salt-apid"} > 0.5 and max(nodejs_eventloop_lag_p99_seconds) offset 6h' +
      ' + label_replace(process_open_fds, "x", "saltapid_not_a_metric", "", "")';
    expect(seriesSelectors(expr)).toEqual([
      {
        name: 'saltapid_http_requests_total',
        matchers: [
          { label: 'instance', op: '=~', value: '$instance' },
          { label: 'status', op: '=~', value: '5..' },
        ],
      },
      { name: 'up', matchers: [{ label: 'job', op: '=', value: 'salt-apid' }] },
      { name: 'nodejs_eventloop_lag_p99_seconds', matchers: [] },
      { name: 'process_open_fds', matchers: [] },
    ]);
  });

  it('refuses what it cannot read rather than skipping it', () => {
    expect(() => seriesSelectors('saltapid_sessions{instance=~$instance}')).toThrow(/unreadable label matcher/);
  });
});

describe('contrib/prometheus/alerts.yml', () => {
  it('queries only metrics, labels and label values salt-apid exposes', () => {
    const queries = alertQueries();
    expect(queries.length).toBeGreaterThanOrEqual(10);
    expect(drift(queries, exposed)).toEqual([]);
  });

  it('gives every alert a duration, a severity, a summary and a description', () => {
    const problems = alertRules().flatMap((rule) => {
      const name = String(rule.alert);
      const labels = mapping(rule.labels ?? {}, `${name} labels`);
      const annotations = mapping(rule.annotations ?? {}, `${name} annotations`);
      return [
        typeof rule.for === 'string' && /^\d+[smh]$/.test(rule.for) ? [] : [`${name}: no for`],
        ['critical', 'warning', 'info'].includes(String(labels.severity)) ? [] : [`${name}: no severity`],
        ['summary', 'description'].flatMap((key) =>
          typeof annotations[key] === 'string' && annotations[key].length > 0 ? [] : [`${name}: no ${key}`],
        ),
      ].flat();
    });
    expect(problems).toEqual([]);
  });
});

describe('contrib/grafana/salt-apid.json', () => {
  it('queries only metrics, labels and label values salt-apid exposes', () => {
    const board = dashboard();
    const queries = [...panelQueries(board), ...variableQueries(board)];
    expect(queries.length).toBeGreaterThanOrEqual(20);
    expect(drift(queries, exposed)).toEqual([]);
  });

  it('filters every panel query on the instance variable', () => {
    const unfiltered = panelQueries(dashboard()).flatMap(({ where, expr }) =>
      seriesSelectors(expr)
        .filter(({ matchers }) => !matchers.some((m) => m.label === 'instance' && m.value === '$instance'))
        .map(({ name }) => `${where}: ${name}`),
    );
    expect(unfiltered).toEqual([]);
  });

  it('reads from the datasource variable, with unique panel ids', () => {
    const board = dashboard();
    expect(board.schemaVersion).toBe(39);
    const byName = new Map(variables(board).map((variable) => [variable.name, variable]));
    expect(byName.get('datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(byName.get('instance')).toMatchObject({ type: 'query', multi: true, includeAll: true });
    const all = panels(board);
    expect(new Set(all.map((panel) => panel.id)).size).toBe(all.length);
    const elsewhere = all
      .filter((panel) => panel.type !== 'row')
      .flatMap((panel) => [panel, ...list(panel.targets ?? [], 'targets').map((t) => mapping(t, 'target'))])
      .filter((item) => mapping(item.datasource, 'datasource').uid !== '${datasource}')
      .map((item) => String(item.title ?? item.refId));
    expect(elsewhere).toEqual([]);
  });
});
