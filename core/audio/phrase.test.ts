import { assembleSegments, describeGap, joinParts, orderSegments, padWithNeighbours } from './phrase';

const seg = (sequenceNumber: number, values: number[]) => ({ sequenceNumber, samples: Float32Array.from(values), source: `s${sequenceNumber}.wav` });

describe('assembleSegments', () => {
  it('concatenates segments in sequence order, whatever order they arrive in', () => {
    const { samples, dropped } = assembleSegments([seg(3, [3]), seg(1, [1, 1]), seg(2, [2])]);
    expect(Array.from(samples)).toEqual([1, 1, 2, 3]);
    expect(dropped).toEqual([]);
  });

  it('reports gaps as dropped packets (ranges) and keeps going', () => {
    const { samples, dropped } = assembleSegments([seg(1, [1]), seg(4, [4]), seg(6, [6])]);
    expect(Array.from(samples)).toEqual([1, 4, 6]);
    expect(dropped).toEqual([
      { first: 2, last: 3, after: 's1.wav' },
      { first: 5, last: 5, after: 's4.wav' },
    ]);
    expect(dropped.map(describeGap)).toEqual(['dropped packets: sequence numbers 2–3 (2) missing after s1.wav', 'dropped packets: sequence number(s) 5 missing after s4.wav']);
  });

  it('reports a duplicated sequence number with every source, and joins nothing', () => {
    const { samples, duplicates } = assembleSegments([seg(1, [1]), seg(1, [9])]);
    expect(samples.length).toBe(0);
    expect(duplicates).toEqual([{ sequenceNumber: 1, sources: ['s1.wav', 's1.wav'] }]);
  });

  it('returns a single segment without copying it', () => {
    const only = seg(0, [1, 2]);
    expect(assembleSegments([only]).samples).toBe(only.samples);
  });
});

describe('orderSegments', () => {
  it('reports a huge gap as one range, without enumerating it', () => {
    const { ordered, dropped } = orderSegments([
      { sequenceNumber: 1e9, source: 'b' },
      { sequenceNumber: 0, source: 'a' },
    ]);
    expect(ordered.map((s) => s.source)).toEqual(['a', 'b']);
    expect(dropped).toEqual([{ first: 1, last: 1e9 - 1, after: 'a' }]);
  });

  it('lists three copies of one number once', () => {
    const three = orderSegments(['x', 'y', 'z'].map((source) => ({ sequenceNumber: 7, source })));
    expect(three.duplicates).toEqual([{ sequenceNumber: 7, sources: ['x', 'y', 'z'] }]);
  });
});

describe('padWithNeighbours', () => {
  const a = Float32Array.from([1, 2, 3, 4]);
  const b = Float32Array.from([5, 6]);
  const c = Float32Array.from([7, 8, 9]);

  it('adds up to N samples of each neighbour and remembers the spans', () => {
    const [pa, pb, pc] = padWithNeighbours([a, b, c], 2);
    expect(pa).toMatchObject({ leadSamples: 0, trailSamples: 2 });
    expect(Array.from(joinParts(pa?.parts ?? []))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(pb).toMatchObject({ leadSamples: 2, trailSamples: 2 });
    expect(Array.from(joinParts(pb?.parts ?? []))).toEqual([3, 4, 5, 6, 7, 8]);
    expect(Array.from(joinParts(pc?.parts ?? []))).toEqual([5, 6, 7, 8, 9]);
  });

  it('leaves phrases without audio out and lends nothing from them', () => {
    const [pa, pb, pc] = padWithNeighbours([a, undefined, c], 2);
    expect(pb).toBeUndefined();
    expect(pa?.trailSamples).toBe(0);
    expect(pc?.leadSamples).toBe(0);
  });

  it('does nothing with zero padding', () => {
    expect(padWithNeighbours([a, b], 0)[1]).toEqual({ parts: [b], length: 2, leadSamples: 0, trailSamples: 0 });
  });
});
