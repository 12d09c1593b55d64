import { describe, expect, it } from 'vitest';
import { fillAuthList, matchCheck, publishAllowed, specCheck, type PublishRequest } from '../../src/salt/auth/acl.js';
import type { SaltValue } from '../../src/salt/codec/values.js';
import { checkMinions } from '../../src/salt/auth/targeting.js';

const universe = { acceptedIds: ['web1', 'web2', 'db1'], grainsOf: () => undefined };
const request = (fun: string | string[], arg: SaltValue[], minions: string[]): PublishRequest => ({
  fun,
  arg,
  minions,
  resolve: (expr: string) => checkMinions(expr, 'compound', universe).minions,
});

describe('demo master ACLs (salt.utils.minions.CkMinions)', () => {
  it('matches functions with re.match: anchored at the start only', () => {
    expect(matchCheck('test.*', 'test.ping')).toBe(true);
    expect(matchCheck('test', 'test.ping')).toBe(true);
    expect(matchCheck('ping', 'test.ping')).toBe(false);
    expect(matchCheck('.*', ['a.b', 'c.d'])).toBe(true);
  });

  it('builds a user ACL from names, groups and the "*" fallback', () => {
    const config = { saltdev: ['test.*'], 'admins%': ['@wheel'], '*': ['grains.items'] };
    expect(fillAuthList(config, 'saltdev', ['admins'])).toEqual(['test.*', '@wheel']);
    expect(fillAuthList(config, 'other', [])).toEqual(['grains.items']);
  });

  it('checks per-target entries against every targeted minion', () => {
    const acl = [{ 'web*': ['test.*', { 'cmd.run': { args: ['echo .*'] } }] }];
    expect(publishAllowed(acl, request('test.ping', [], ['web1', 'web2']))).toBe(true);
    expect(publishAllowed(acl, request('test.ping', [], ['web1', 'db1']))).toBe(false);
    expect(publishAllowed(acl, request('cmd.run', ['echo hi'], ['web1']))).toBe(true);
    expect(publishAllowed(acl, request('cmd.run', ['rm -rf /'], ['web1']))).toBe(false);
  });

  it('allows whitelisted functions (publish: saltutil.find_job) and refuses an empty ACL otherwise', () => {
    expect(publishAllowed([], request('saltutil.find_job', ['1'], ['db1']), ['saltutil.find_job'])).toBe(true);
    expect(publishAllowed([], request('saltutil.find_job', ['1'], ['db1']))).toBe(false);
    expect(publishAllowed([], request('test.ping', [], ['db1']), ['saltutil.find_job'])).toBe(false);
  });

  it("validate_tgt: a '*' target covers any host, even one the master has no key for; '@' targets none", () => {
    const rosterOnly = { fun: 'test.ping', arg: [], minions: ['ssh-host-1'], resolve: () => [] };
    expect(publishAllowed([{ '*': ['test.*'] }], rosterOnly)).toBe(true);
    expect(publishAllowed([{ 'ssh-host-*': ['test.*'] }], rosterOnly)).toBe(false);
    expect(publishAllowed([{ '@runner': ['test.*'] }], { ...rosterOnly, resolve: () => ['ssh-host-1'] })).toBe(false);
    // A target that names no host at all passes the target check, as in Salt.
    expect(publishAllowed([{ 'web*': ['test.*'] }], { ...rosterOnly, minions: [] })).toBe(true);
  });

  it('gates runner and wheel calls with @runner, @wheel, @jobs and @<module>', () => {
    expect(specCheck(['@runner'], 'manage.status', {}, 'runner')).toBe(true);
    expect(specCheck(['@wheel'], 'manage.status', {}, 'runner')).toBe(false);
    expect(specCheck(['@jobs'], 'jobs.list_jobs', {}, 'runner')).toBe(true);
    expect(specCheck([{ '@runner': ['jobs.*'] }], 'manage.status', {}, 'runner')).toBe(false);
    expect(specCheck([{ '@wheel': ['key.list_all'] }], 'key.list_all', {}, 'wheel')).toBe(true);
    expect(specCheck([], 'key.list_all', {}, 'wheel')).toBe(false);
    expect(specCheck(['@runner'], 'nodot', {}, 'runner')).toEqual({
      error: { name: 'SaltInvocationError', message: 'A command invocation error occurred: Check syntax.' },
    });
  });
});
