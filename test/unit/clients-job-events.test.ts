import { describe, expect, it } from 'vitest';
import { JobEventStream } from '../../src/salt/clients/local/job-events.js';
import type { EventBus } from '../../src/salt/event-bus.js';
import type { SaltEvent } from '../../src/salt/event-frame.js';
import { Subscription, type SubscriptionOptions } from '../../src/salt/subscription.js';

/** The events of the jobs one call started (job-events.ts), from a bus the test feeds by hand. */

function fakeBus() {
  const subs = new Set<{ sub: Subscription; match: (tag: string) => boolean }>();
  const bus = {
    subscribe(options: SubscriptionOptions = {}) {
      const sub = new Subscription(options, () => undefined);
      subs.add({ sub, match: options.match ?? (() => true) });
      return sub;
    },
    onNextDisconnect: () => () => undefined,
  };
  const fire = (event: SaltEvent): void => {
    for (const { sub, match } of subs) if (match(event.tag)) sub.push(event);
  };
  return { bus: bus as unknown as EventBus, fire };
}

const ev = (jid: string, what: string): SaltEvent => ({ tag: `salt/job/${jid}/${what}`, data: { what } });

/** Reads what the stream has now, until it would wait. */
async function drain(stream: JobEventStream): Promise<string[]> {
  const tags: string[] = [];
  for (;;) {
    const event = await stream.next(0);
    if (event === undefined) return tags;
    tags.push(event.tag);
  }
}

/** A stream with a request in flight: `answer(jid)` is the master's reply naming the job. */
function inFlight() {
  const { bus, fire } = fakeBus();
  const stream = new JobEventStream(bus, 'salt/job/', undefined);
  let answer: (jid: string) => void = () => undefined;
  const reply = stream.track(
    () => new Promise<string>((resolve) => (answer = resolve)),
    (jid) => jid,
  );
  return { fire, stream, answer: (jid: string) => answer(jid), reply };
}

describe('JobEventStream', () => {
  it("keeps the events fired before a request's reply names their jid, in order, and drops the others", async () => {
    const { fire, stream, answer, reply } = inFlight();
    const tags: Promise<string[]> = (async () => {
      // Interleaved with another job's events while the request is in flight.
      fire(ev('111', 'new'));
      fire(ev('222', 'new'));
      fire(ev('111', 'ret/a'));
      fire(ev('222', 'ret/a'));
      await stream.next(0); // nothing tracked yet: all held
      answer('111');
      await reply;
      fire(ev('111', 'ret/b'));
      fire(ev('222', 'ret/b'));
      return drain(stream);
    })();
    expect(await tags).toEqual(['salt/job/111/new', 'salt/job/111/ret/a', 'salt/job/111/ret/b']);
    stream.close();
  });

  it('holds a bounded number of events for jids not known yet', async () => {
    const { fire, stream, answer, reply } = inFlight();
    for (let i = 0; i < 10_050; i++) fire(ev('999', `ret/m${i}`));
    await stream.next(0);
    answer('999');
    await reply;
    expect(await drain(stream)).toHaveLength(10_000);
    stream.close();
  });
});
