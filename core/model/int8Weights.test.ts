import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLED_MODEL } from '../../engines/factory';
import { exactness } from '../../handlers/cli/modelCheck';
import { int8Report, pairsOverCap } from './int8Weights';

const ROOT = join(__dirname, '..', '..');
const report = (folder: string) => int8Report(readFileSync(join(ROOT, folder, 'model.onnx')), folder);
const int8 = (values: number[]) => Uint8Array.from(values, (v) => v & 0xff);

describe('pairsOverCap (the AVX2 vpmaddubsw saturation rule)', () => {
  it('counts adjacent input channels of one tap with the same sign and |w1| + |w2| > 128', () => {
    // [cout 1, cin 4, taps 1]: pairs (64, 65) over, (-64, -64) at the cap
    expect(pairsOverCap(int8([64, 65, -64, -64]), [1, 4, 1])).toEqual({ overCap: 1, pairs: 2 });
    // opposite signs never saturate, nor does a zero
    expect(pairsOverCap(int8([127, -128, 0, 127]), [1, 4, 1])).toEqual({ overCap: 0, pairs: 2 });
  });

  it('pairs input channels at the same kernel tap, not neighbouring taps', () => {
    // [cout 1, cin 2, taps 2] row-major: channel 0 taps (100, 0), channel 1 taps (100, 0)
    expect(pairsOverCap(int8([100, 0, 100, 0]), [1, 2, 2])).toEqual({ overCap: 1, pairs: 2 });
    // the same values along one channel's taps are not a pair
    expect(pairsOverCap(int8([100, 100, 0, 0]), [1, 2, 2])).toEqual({ overCap: 0, pairs: 2 });
  });
});

describe('int8Report on the shipped models', () => {
  it('the bundled model: int8 pointwise weights with no pair over the cap, exact on every CPU', () => {
    const r = report(BUNDLED_MODEL);
    const dense = r.layers.filter((l) => l.kind === 'int8');
    expect(dense.length).toBeGreaterThan(0);
    expect(dense.every((l) => l.overCap === 0 && l.pairs > 0)).toBe(true);
    expect(r.dependsOnCpu).toBe(false);
    expect(exactness(r)).toMatch(/no weight pair over the AVX2 cap: integer sums exact on every CPU$/);
  });

  it('1.7.1 (plain int8 weights): pairs over the cap, named as depending on the CPU', () => {
    const r = report('models/letters-ctc-1.7.1');
    expect(r.dependsOnCpu).toBe(true);
    expect(r.layers.reduce((n, l) => n + l.overCap, 0)).toBeGreaterThan(1000);
    expect(exactness(r)).toMatch(/^warning: .* whose sums depend on the CPU: \d+ of \d+ weight pairs in 13 layers/);
  });

  it('1.7.2 (uint8 weights) is exact, and a float model has no int8 weights', () => {
    const u8 = report('models/letters-ctc-1.7.2');
    expect(u8.layers.length).toBeGreaterThan(0);
    expect(u8.layers.every((l) => l.kind === 'uint8')).toBe(true);
    expect(u8.dependsOnCpu).toBe(false);
    const float = report('models/letters-ctc-1.7.0');
    expect(float.layers).toEqual([]);
    expect(exactness(float)).toMatch(/^no int8 convolution weights/);
  });

  it('a truncated file is a RangeError naming it', () => {
    const bytes = readFileSync(join(ROOT, BUNDLED_MODEL, 'model.onnx'));
    expect(() => int8Report(bytes.subarray(0, 1000), 'cut/model.onnx')).toThrow(/^cut\/model\.onnx: truncated protobuf/);
  });
});
