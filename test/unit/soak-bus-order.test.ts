import { describe, expect, it } from 'vitest';
import { BusOrder } from '../../src/bench/soak/streams.js';

describe("the soak's bus order", () => {
  it('numbers ids once, in order, and forgets those older than 15 minutes', () => {
    const order = new BusOrder();
    const minute = 60_000;
    for (let i = 0; i < 10_000; i++) order.add(`early-${i}`, 0);
    order.add('early-3', 1);
    expect(order.placeOf('early-3')).toBe(3);
    expect(order.placeOf('early-9999')).toBe(9_999);
    order.add('late', 16 * minute);
    expect(order.placeOf('early-0')).toBeUndefined();
    expect(order.placeOf('early-9999')).toBeUndefined();
    expect(order.placeOf('late')).toBe(10_000);
    order.add('later', 17 * minute);
    expect(order.placeOf('late')).toBe(10_000);
    expect(order.placeOf('later')).toBe(10_001);
  });
});
