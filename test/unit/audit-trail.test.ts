import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { AuditTrail } from '../../src/http/audit/audit-trail.js';
import { SaltApidMetrics } from '../../src/http/stats/metrics.js';
import { stubSources } from '../support/exposed-metrics.js';

/** The audit trail's own part of a record: the time, where the request came from, and the line's shape. */

/** The parts of a request the trail reads: its id, the socket's address and the headers. */
function requestFrom(remoteAddress: string, headers: Record<string, string> = {}): FastifyRequest {
  const socket = { remoteAddress };
  const raw = { socket, connection: socket, headers };
  return { id: 'req-7', socket, headers, raw } as unknown as FastifyRequest;
}

function trailWith(trustedProxies: string[], pid?: number): { trail: AuditTrail; lines: string[] } {
  const lines: string[] = [];
  const trail = new AuditTrail(
    { write: (line: string) => lines.push(line) },
    { trustedProxies, pid, now: () => new Date(Date.UTC(2026, 11, 7, 9, 30, 0, 123)) },
  );
  return { trail, lines };
}

describe('AuditTrail.origin', () => {
  const forwarded = { 'x-forwarded-for': '198.51.100.4, 10.1.2.3' };

  it('never believes X-Forwarded-For without trusted_proxies', () => {
    const { trail } = trailWith([]);
    expect(trail.origin(requestFrom('::ffff:127.0.0.1', forwarded))).toEqual({
      source: '127.0.0.1',
      request_id: 'req-7',
    });
  });

  it('believes it from a trusted proxy, hop by hop up to the first address that is not trusted', () => {
    const { trail } = trailWith(['127.0.0.1', '10.0.0.0/8']);
    expect(trail.origin(requestFrom('127.0.0.1', forwarded))).toEqual({
      source: '127.0.0.1',
      forwarded_for: '198.51.100.4',
      request_id: 'req-7',
    });
    expect(trail.origin(requestFrom('::ffff:127.0.0.1', { 'x-forwarded-for': '203.0.113.9' })).forwarded_for).toBe(
      '203.0.113.9',
    );
    // 10.1.2.3 is trusted, so the hop before it is the client; a proxy that is not trusted is where it stops.
    const { trail: onlyLoopback } = trailWith(['loopback']);
    expect(onlyLoopback.origin(requestFrom('127.0.0.1', forwarded)).forwarded_for).toBe('10.1.2.3');
  });

  it('leaves it out when the peer is not a trusted proxy, or sent no header', () => {
    const { trail } = trailWith(['10.0.0.0/8']);
    expect(trail.origin(requestFrom('192.0.2.1', forwarded))).not.toHaveProperty('forwarded_for');
    expect(trail.origin(requestFrom('10.9.9.9'))).not.toHaveProperty('forwarded_for');
  });
});

describe('AuditTrail.write', () => {
  it('writes one JSON line, its fields in the documented order, the duration to a tenth of a ms', () => {
    const { trail, lines } = trailWith(['127.0.0.1'], 4321);
    trail.write(requestFrom('127.0.0.1', { 'x-forwarded-for': '203.0.113.9' }), {
      kind: 'run',
      duration_ms: 12.3456,
      outcome: 'refused',
      status: 401,
      args: {},
      arg_count: 0,
      fun: 'test.ping',
      client: 'local',
      user: 'alice',
      eauth: 'pam',
      reason: 'refused before any chunk ran',
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.endsWith('}\n')).toBe(true);
    expect(lines[0]?.slice(0, -1)).not.toContain('\n');
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(Object.keys(record)).toEqual([
      'time',
      'kind',
      'user',
      'eauth',
      'source',
      'forwarded_for',
      'request_id',
      'pid',
      'client',
      'fun',
      'arg_count',
      'args',
      'outcome',
      'status',
      'reason',
      'duration_ms',
    ]);
    expect(record).toMatchObject({ time: '2026-12-07T09:30:00.123Z', pid: 4321, duration_ms: 12.3 });
  });

  it('remembers which requests have their records', () => {
    const { trail } = trailWith([]);
    const request = requestFrom('127.0.0.1');
    expect(trail.isHandled(request)).toBe(false);
    trail.handled(request);
    expect(trail.isHandled(request)).toBe(true);
    expect(trail.isHandled(requestFrom('127.0.0.1'))).toBe(false);
  });
});

describe('records the audit file dropped', () => {
  it('are told by the trail and counted in saltapid_audit_records_dropped_total', async () => {
    const sink = { write: () => false, dropped: 3 };
    const trail = new AuditTrail(sink, { trustedProxies: [] });
    expect(trail.dropped).toBe(3);
    expect(new AuditTrail({ write: () => true }, { trustedProxies: [] }).dropped).toBe(0);
    const metrics = new SaltApidMetrics({ ...stubSources(), auditDropped: () => trail.dropped });
    sink.dropped = 5;
    expect(await metrics.exposition()).toMatch(/^saltapid_audit_records_dropped_total 5$/m);
  });
});
