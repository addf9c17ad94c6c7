import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLED_MODEL } from '../../engines/factory';
import { exactness } from '../../handlers/cli/modelCheck';
import { ProtoWriter } from '../../test/support/onnxBuilder';
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

  it('reads an odd channel count in reduction order, tap-major: the last channel of a tap pairs with the next tap', () => {
    // [cout 1, cin 3, taps 2] row-major. Tap-major order of (100, 1 | 1, 1 | 100, 100) is 100, 1, 100,
    // 1, 1, 100: no pair over; of (1, 100 | 1, 1 | 100, 1) it is 1, 1, 100, 100, 1, 1: the middle pair
    // joins c2's first tap with c0's second and is over.
    expect(pairsOverCap(int8([100, 1, 1, 1, 100, 100]), [1, 3, 2])).toEqual({ overCap: 0, pairs: 3 });
    expect(pairsOverCap(int8([1, 100, 1, 1, 100, 1]), [1, 3, 2])).toEqual({ overCap: 1, pairs: 3 });
  });

  it('pairs input channels at the same kernel tap, not neighbouring taps', () => {
    // [cout 1, cin 2, taps 2] row-major: channel 0 taps (100, 0), channel 1 taps (100, 0)
    expect(pairsOverCap(int8([100, 0, 100, 0]), [1, 2, 2])).toEqual({ overCap: 1, pairs: 2 });
    // the same values along one channel's taps are not a pair
    expect(pairsOverCap(int8([100, 100, 0, 0]), [1, 2, 2])).toEqual({ overCap: 0, pairs: 2 });
  });
});

/** A QDQ graph with one Conv whose weight is the int8 initializer `w` (int32_data, as ONNX allows). */
function qdqConv(values: number[], dims: number[], options: { raw?: boolean; extraOp?: string } = {}): Uint8Array {
  const weight = new ProtoWriter().string(8, 'w').varint(2, 3);
  for (const d of dims) weight.varint(1, d);
  if (options.raw) weight.bytes(9, int8(values));
  else for (const v of values) weight.varint(5, v);
  const node = (op: string, inputs: string[], output: string) => {
    const n = new ProtoWriter();
    for (const i of inputs) n.string(1, i);
    return n.string(2, output).string(4, op);
  };
  const graph = new ProtoWriter()
    .message(1, node('DequantizeLinear', ['w', 's', 'z'], 'w_dq'))
    .message(1, node('Conv', ['x', 'w_dq'], 'y'))
    .message(5, weight);
  if (options.extraOp) graph.message(1, node(options.extraOp, ['y'], 'z2'));
  return new ProtoWriter().varint(1, 8).message(7, graph).finish();
}

describe('int8Report on crafted graphs', () => {
  it('reads negative weights stored as int32_data (10-byte varints), and raw bytes alike', () => {
    for (const raw of [false, true]) {
      const r = int8Report(qdqConv([-100, -100, 5, -5], [1, 4, 1], { raw }), 'crafted.onnx');
      expect(r.layers).toEqual([{ weight: 'w', kind: 'int8', overCap: 1, pairs: 2 }]);
      expect(r.dependsOnCpu).toBe(true);
    }
  });

  it('refuses a weight whose data is not in the file, naming the file and the weight', () => {
    expect(() => int8Report(qdqConv([1, 2], [1, 4, 1]), 'short.onnx')).toThrow(/^short\.onnx: weight w holds 2 bytes for 1 × 4 × 1 values/);
  });

  it('names integer ops it does not analyse instead of calling the model exact', () => {
    const r = int8Report(qdqConv([1, 2, 3, 4], [1, 4, 1], { raw: true, extraOp: 'MatMulInteger' }), 'mixed.onnx');
    expect(r.dependsOnCpu).toBe(false);
    expect(r.unchecked).toEqual(['MatMulInteger']);
    expect(exactness(r)).toMatch(/exact on every CPU; integer ops not checked here, whose sums may depend on the CPU: MatMulInteger$/);
  });
});

describe('int8Report on the shipped models', () => {
  it('the bundled model: int8 pointwise weights with no pair over the cap, exact on every CPU', () => {
    const r = report(BUNDLED_MODEL);
    const dense = r.layers.filter((l) => l.kind === 'int8');
    expect(dense.length).toBeGreaterThan(0);
    expect(dense.every((l) => l.overCap === 0 && l.pairs > 0)).toBe(true);
    expect(r.dependsOnCpu).toBe(false);
    expect(r.unchecked).toEqual([]);
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
    expect(float.unchecked).toEqual([]);
    expect(exactness(float)).toMatch(/^no int8 weights: the same logits on every CPU/);
  });

  it('a truncated file is a RangeError naming it', () => {
    const bytes = readFileSync(join(ROOT, BUNDLED_MODEL, 'model.onnx'));
    expect(() => int8Report(bytes.subarray(0, 1000), 'cut/model.onnx')).toThrow(/^cut\/model\.onnx: truncated protobuf/);
  });
});
