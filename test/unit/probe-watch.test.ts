import { describe, expect, it } from 'vitest';
import { Sightings, StampScanner } from '../../src/bench/probe-watch.js';

describe("the fleet bench's probe sightings", () => {
  it('report a probe once /events delivered it, whole, even when the bus saw it before an earlier report', () => {
    let now = 100;
    const sightings = new Sightings(() => now);
    sightings.note(1, 'bus');
    sightings.note(2, 'bus');
    now = 110;
    sightings.note(2, 'sse');
    expect(sightings.takeDelivered()).toEqual([{ sent: 2, bus: 100, sse: 110 }]);
    now = 150;
    sightings.note(1, 'sse');
    sightings.note(1, 'sse');
    expect(sightings.takeDelivered()).toEqual([{ sent: 1, bus: 100, sse: 150 }]);
    expect(sightings.takeDelivered()).toEqual([]);
  });

  it('read each stamp once, however the stream is cut', () => {
    const text = 'data: {"sent": 12.5, "x": 1}\n\ndata: {"sent":13, "y": 2}\n\n';
    for (let cut = 1; cut < text.length; cut++) {
      const seen: number[] = [];
      const scanner = new StampScanner((sent) => seen.push(sent));
      scanner.push(text.slice(0, cut));
      scanner.push(text.slice(cut));
      expect(seen).toEqual([12.5, 13]);
    }
  });
});
