import { rateOf, wilsonInterval, Z_95 } from './wilson';

describe('wilsonInterval', () => {
  // Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table I, method 3
  // (Wilson score, no continuity correction), to the four decimals published.
  it.each([
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ])('%i of %i → [%f, %f] as published', (count, total, low, high) => {
    const ci = wilsonInterval(count, total);
    expect(ci?.low).toBeCloseTo(low, 4);
    expect(ci?.high).toBeCloseTo(high, 4);
  });

  it('is symmetric around 1/2 and closed at 0 and 1', () => {
    const half = wilsonInterval(5, 10);
    expect(half?.low).toBeCloseTo(0.2366, 4);
    expect((half?.low ?? 0) + (half?.high ?? 0)).toBeCloseTo(1, 12);
    expect(wilsonInterval(0, 30)).toEqual({ low: 0, high: expect.closeTo(0.1135, 4) });
    expect(wilsonInterval(10, 10)).toEqual({ low: expect.closeTo(0.7225, 4), high: 1 });
  });

  it('narrows with more trials and widens with a larger z', () => {
    const width = (k: number, n: number, z?: number) => {
      const ci = wilsonInterval(k, n, z);
      return (ci?.high ?? 0) - (ci?.low ?? 0);
    };
    expect(width(10, 100)).toBeLessThan(width(1, 10));
    expect(width(10, 100, 2.576)).toBeGreaterThan(width(10, 100, Z_95));
  });

  it('has no interval for no trials and refuses impossible counts', () => {
    expect(wilsonInterval(0, 0)).toBeNull();
    expect(() => wilsonInterval(3, 2)).toThrow(/0 ≤ count ≤ total, got 3 of 2/);
    expect(() => wilsonInterval(-1, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(0.5, 2)).toThrow(RangeError);
  });
});

describe('rateOf', () => {
  it('gives the count, the rate and its interval', () => {
    expect(rateOf(6, 175)).toEqual({ count: 6, total: 175, rate: 6 / 175, ci95: wilsonInterval(6, 175) });
    expect(rateOf(0, 0)).toEqual({ count: 0, total: 0, rate: null, ci95: null });
  });
});
