import { describe, expect, it } from 'vitest';
import { SlowConsumerError } from '../../src/salt/errors.js';
import { Subscription } from '../../src/salt/subscription.js';
import { tagMatcher } from '../../src/salt/tag-match.js';

const ev = (tag: string) => ({ tag, data: {} });

describe('Subscription', () => {
  it('delivers matching events in order to a for-await consumer', async () => {
    const sub = new Subscription({ match: tagMatcher('a/') });
    sub.push(ev('a/1'));
    sub.push(ev('b/1'));
    sub.push(ev('a/2'));
    sub.close();
    const tags: string[] = [];
    for await (const e of sub) tags.push(e.tag);
    expect(tags).toEqual(['a/1', 'a/2']);
  });

  it('hands an event straight to a waiting reader', async () => {
    const sub = new Subscription();
    const next = sub.next();
    sub.push(ev('x'));
    await expect(next).resolves.toEqual({ value: ev('x'), done: false });
  });

  it('cuts off a consumer that falls maxQueue events behind and frees its queue', async () => {
    let closedWith: Subscription | undefined;
    const sub = new Subscription({ maxQueue: 3 }, (s) => (closedWith = s));
    for (let i = 0; i < 4; i++) sub.push(ev(`t/${i}`));
    expect(sub.closed).toBe(true);
    expect(sub.pending).toBe(0);
    expect(closedWith).toBe(sub);
    await expect(sub.next()).rejects.toBeInstanceOf(SlowConsumerError);
  });

  it('can drop the oldest events instead of failing', async () => {
    const sub = new Subscription({ maxQueue: 2, overflow: 'drop-oldest' });
    for (let i = 0; i < 5; i++) sub.push(ev(`t/${i}`));
    expect(sub.dropped).toBe(3);
    expect(await sub.next()).toMatchObject({ value: { tag: 't/3' } });
  });

  it('nextWithin returns undefined on timeout and the event otherwise', async () => {
    const sub = new Subscription();
    await expect(sub.nextWithin(20)).resolves.toBeUndefined();
    setTimeout(() => sub.push(ev('late')), 5);
    await expect(sub.nextWithin(1_000)).resolves.toEqual(ev('late'));
  });
});
