import { describe, expect, it } from 'vitest';
import { cannedGrains } from '../../src/demo/grains.js';
import { checkMinions } from '../../src/salt/auth/targeting.js';

const ids = ['minion-1', 'minion-2', 'minion-3', 'web-1'];
const universe = { acceptedIds: ids, grainsOf: (id: string) => cannedGrains(id, ids.indexOf(id)) };
const match = (tgt: string | string[], tgtType: string) => checkMinions(tgt, tgtType, universe);

describe('demo master targeting (CkMinions.check_minions)', () => {
  it('globs and pcre (re.match, anchored at the start)', () => {
    expect(match('minion-*', 'glob').minions).toEqual(['minion-1', 'minion-2', 'minion-3']);
    expect(match('minion-[12]', 'glob').minions).toEqual(['minion-1', 'minion-2']);
    expect(match('web', 'pcre').minions).toEqual(['web-1']);
  });

  it('lists keep their order and report unknown ids as missing', () => {
    expect(match(['web-1', 'ghost', 'minion-1'], 'list')).toEqual({
      minions: ['web-1', 'minion-1'],
      missing: ['ghost'],
    });
    expect(match('minion-2,,ghost', 'list')).toEqual({ minions: ['minion-2'], missing: ['ghost'] });
  });

  it('grains: glob on values, case-insensitive, any member of a list', () => {
    expect(match('os:Debian', 'grain').minions).toEqual(['minion-1', 'minion-3']);
    expect(match('os_family:redhat', 'grain').minions).toEqual(['minion-2', 'web-1']);
    expect(match('ipv4:10.0.0.11', 'grain').minions).toEqual(['minion-2']);
    expect(match('os:(Rocky|Debian)', 'grain_pcre').minions).toEqual(ids);
    expect(match('10.0.0.10/31', 'ipcidr').minions).toEqual(['minion-1', 'minion-2']);
  });

  it('compound: and/or/not with G@, L@, E@ and globs; malformed matches nothing', () => {
    expect(match('G@os:Debian and not minion-3', 'compound').minions).toEqual(['minion-1']);
    expect(match('L@web-1,minion-2 or E@minion-3', 'compound').minions).toEqual(['minion-2', 'minion-3', 'web-1']);
    expect(match('( minion-1 or web-* ) and G@os:Rocky', 'compound').minions).toEqual(['web-1']);
    expect(match('minion-1 or not G@os:Debian and minion-*', 'compound').minions).toEqual(['minion-1', 'minion-2']);
    expect(match('minion-1 and', 'compound').minions).toEqual([]);
  });

  it('unsupported target types match nothing', () => {
    expect(match('role:web', 'pillar')).toEqual({ minions: [], missing: [] });
  });
});
