import { describe, expect, it } from 'vitest';
import { apiAclAllows } from '../../src/http/credential-guard.js';

describe('api_acl', () => {
  it('follows salt_api_acl_tool', () => {
    expect(apiAclAllows(undefined, 'a', '1.2.3.4')).toBe(true);
    // api_acl set without users: the tool returns None, which refuses.
    expect(apiAclAllows({}, 'a', '1.2.3.4')).toBe(false);
    const acl = { alice: ['1.1.1.1'], bob: ['*'] };
    expect(apiAclAllows(acl, 'alice', '1.1.1.1')).toBe(true);
    expect(apiAclAllows(acl, 'alice', '2.2.2.2')).toBe(false);
    expect(apiAclAllows(acl, 'bob', '2.2.2.2')).toBe(true);
    expect(apiAclAllows(acl, 'carol', '1.1.1.1')).toBe(false);
    expect(apiAclAllows({ ...acl, '*': ['3.3.3.3'] }, 'carol', '3.3.3.3')).toBe(true);
  });
});
