/**
 * Whether a quantised (QDQ) model's integer arithmetic is the same on every CPU.
 *
 * onnxruntime runs a convolution of uint8 activations by int8 weights on x86 without VNNI with
 * AVX2's `vpmaddubsw`, which adds two adjacent products along the reduction axis in 16 bits and
 * saturates past 32767. With activations 0..255 a pair can only get there when both weights have
 * the same sign and |w1| + |w2| > 128 (255 × 128 = 32640 fits). So a dense convolution's int8
 * weights are exact everywhere when no such pair exists (pairs: input channels 2j and 2j + 1 of one
 * kernel tap, the order onnxruntime reduces in); uint8 weights (uint8 × uint8) and depthwise
 * convolutions (their kernel widens to 16 bits first) are exact everywhere. docs/models.md,
 * "Quantised (int8) models", has the measurements behind each rule.
 */

/** One quantised convolution weight and what it means for exactness. */
export interface Int8Layer {
  /** The weight initializer's name. */
  readonly weight: string;
  /** `uint8` (exact), `depthwise` (exact), `int8` (dense: exact only when `overCap` is 0). */
  readonly kind: 'uint8' | 'depthwise' | 'int8';
  /** Adjacent same-sign weight pairs with |w1| + |w2| > 128 (dense int8 only; else 0). */
  readonly overCap: number;
  /** Weight pairs along the reduction axis (dense int8 only; else 0). */
  readonly pairs: number;
}

/** The int8 weights of a model and whether its integer sums depend on the CPU. */
export interface Int8Report {
  /** Quantised convolution weights (empty for a float model). */
  readonly layers: readonly Int8Layer[];
  /** True when some dense int8 weight pair can saturate AVX2's 16-bit pair sums. */
  readonly dependsOnCpu: boolean;
  /**
   * Integer ops this check does not analyse (`QLinearConv`, `ConvInteger`, `MatMulInteger`,
   * `QLinearMatMul`, or a `DequantizeLinear` of an 8-bit initializer feeding something other than a
   * `Conv`'s weight): their sums may depend on the CPU. Empty when every 8-bit weight was checked.
   */
  readonly unchecked: readonly string[];
}

const INTEGER_OPS = new Set(['QLinearConv', 'ConvInteger', 'MatMulInteger', 'QLinearMatMul']);

/** The largest |w1| + |w2| of a same-sign pair that `vpmaddubsw` sums without saturating. */
export const PAIR_LIMIT = 128;

/** TensorProto.DataType values of the 8-bit weights this check reads. */
const OnnxType = { Int8: 3, Uint8: 2 } as const;

interface Field {
  readonly field: number;
  readonly wire: number;
  /** Varint value (wire 0; exact up to 2^53). */
  readonly value: number;
  /** The varint's low 32 bits as a signed int32 (a negative int32 is a 10-byte varint). */
  readonly int32: number;
  /** Bytes (wire 2). */
  readonly bytes: Uint8Array;
}

/** The fields of one protobuf message, in order (wire types 0, 1, 2 and 5; groups are refused). */
function* fields(buf: Uint8Array, where: string): Generator<Field> {
  let at = 0;
  let low = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    low = 0;
    for (let shift = 0; ; shift += 7) {
      if (at >= buf.length) throw new RangeError(`${where}: truncated protobuf varint`);
      const byte = buf[at++] as number;
      result += (byte & 0x7f) * scale;
      if (shift < 32) low |= (byte & 0x7f) << shift;
      if (byte < 0x80) return result;
      scale *= 128;
    }
  };
  while (at < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) {
      const value = varint();
      yield { field, wire, value, int32: low | 0, bytes: new Uint8Array(0) };
    } else if (wire === 2) {
      const length = varint();
      if (at + length > buf.length) throw new RangeError(`${where}: truncated protobuf field ${field}`);
      yield { field, wire, value: 0, int32: 0, bytes: buf.subarray(at, at + length) };
      at += length;
    } else if (wire === 1 || wire === 5) {
      at += wire === 1 ? 8 : 4;
    } else {
      throw new RangeError(`${where}: unsupported protobuf wire type ${wire}`);
    }
  }
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Packed or single varints of a repeated integer field (`int32`: as signed 32-bit values). */
function ints(f: Field, where: string, int32 = false): number[] {
  if (f.wire === 0) return [int32 ? f.int32 : f.value];
  return [...fields(prefixed(f.bytes), where)].map((x) => (int32 ? x.int32 : x.value));
}

/** Packed varints re-keyed as field 1 so `fields` can read them. */
function prefixed(packed: Uint8Array): Uint8Array {
  const out: number[] = [];
  let start = true;
  for (const byte of packed) {
    if (start) out.push(0x08);
    out.push(byte);
    start = byte < 0x80;
  }
  return Uint8Array.from(out);
}

interface Tensor {
  readonly dims: number[];
  readonly type: number;
  readonly data: Uint8Array;
}

interface Node {
  readonly op: string;
  readonly inputs: string[];
  readonly outputs: string[];
  readonly group: number;
}

function readTensor(buf: Uint8Array, where: string): [string, Tensor] {
  let name = '';
  const dims: number[] = [];
  let type = 0;
  let data: Uint8Array = new Uint8Array(0);
  const int32Data: number[] = [];
  for (const f of fields(buf, where)) {
    if (f.field === 1) dims.push(...ints(f, where));
    else if (f.field === 2) type = f.value;
    else if (f.field === 8) name = text(f.bytes);
    else if (f.field === 9) data = f.bytes;
    else if (f.field === 5) int32Data.push(...ints(f, where, true));
  }
  if (data.length === 0 && int32Data.length) data = Uint8Array.from(int32Data, (v) => v & 0xff);
  return [name, { dims, type, data }];
}

function readNode(buf: Uint8Array, where: string): Node {
  let op = '';
  const inputs: string[] = [];
  const outputs: string[] = [];
  let group = 1;
  for (const f of fields(buf, where)) {
    if (f.field === 1) inputs.push(text(f.bytes));
    else if (f.field === 2) outputs.push(text(f.bytes));
    else if (f.field === 4) op = text(f.bytes);
    else if (f.field === 5) {
      let attr = '';
      let value = 1;
      for (const a of fields(f.bytes, where)) {
        if (a.field === 1) attr = text(a.bytes);
        else if (a.field === 3) value = a.value;
      }
      if (attr === 'group') group = value;
    }
  }
  return { op, inputs, outputs, group };
}

/**
 * Dense int8 weights [cout, cin, taps...] (row-major bytes): same-sign pairs over the cap. Each
 * output channel's weights are read in onnxruntime's reduction order, tap-major (index t·cin + c),
 * and paired (0, 1), (2, 3), …; an odd last weight pairs with zero and cannot saturate. With an even
 * `cin` the pairs are input channels 2j, 2j + 1 of one tap (as tools/model/pair_safe.py caps them).
 */
export function pairsOverCap(data: Uint8Array, dims: readonly number[]): { overCap: number; pairs: number } {
  const [cout = 0, cin = 0, ...rest] = dims;
  const taps = rest.reduce((a, b) => a * b, 1);
  const w = new Int8Array(data.buffer, data.byteOffset, data.byteLength);
  const at = (o: number, r: number) => w[(o * cin + (r % cin)) * taps + Math.floor(r / cin)] as number;
  const length = cin * taps;
  let overCap = 0;
  let pairs = 0;
  for (let o = 0; o < cout; o++) {
    for (let r = 0; r + 1 < length; r += 2) {
      const a = at(o, r);
      const b = at(o, r + 1);
      pairs++;
      if (((a > 0 && b > 0) || (a < 0 && b < 0)) && Math.abs(a) + Math.abs(b) > PAIR_LIMIT) overCap++;
    }
  }
  return { overCap, pairs };
}

/**
 * Reads an ONNX model's quantised convolution weights (`DequantizeLinear` of an int8 or uint8
 * initializer feeding a `Conv`'s weight input) and tells whether its integer sums depend on the
 * CPU. `where` names the file in errors (a malformed protobuf is a RangeError naming it).
 */
export function int8Report(onnx: Uint8Array, where: string): Int8Report {
  const tensors = new Map<string, Tensor>();
  const nodes: Node[] = [];
  for (const f of fields(onnx, where)) {
    if (f.field !== 7 || f.wire !== 2) continue;
    for (const g of fields(f.bytes, where)) {
      if (g.field === 1) nodes.push(readNode(g.bytes, where));
      else if (g.field === 5) {
        const [name, tensor] = readTensor(g.bytes, where);
        tensors.set(name, tensor);
      }
    }
  }
  const dequantised = new Map<string, Node>();
  for (const n of nodes) if (n.op === 'DequantizeLinear' && n.outputs[0]) dequantised.set(n.outputs[0], n);
  const layers: Int8Layer[] = [];
  const checked = new Set<string>();
  for (const conv of nodes) {
    if (conv.op !== 'Conv') continue;
    const dq = dequantised.get(conv.inputs[1] ?? '');
    const weight = dq?.inputs[0] ?? '';
    const t = tensors.get(weight);
    if (!dq || !t || (t.type !== OnnxType.Int8 && t.type !== OnnxType.Uint8)) continue;
    const size = t.dims.reduce((a, b) => a * b, 1);
    if (t.data.length !== size) {
      throw new RangeError(`${where}: weight ${weight} holds ${t.data.length} bytes for ${t.dims.join(' × ')} values (external or missing data is not read)`);
    }
    checked.add(dq.outputs[0] ?? '');
    const cin = t.dims[1] ?? 0;
    if (t.type === OnnxType.Uint8) layers.push({ weight, kind: 'uint8', overCap: 0, pairs: 0 });
    else if (cin === 1 && conv.group > 1) layers.push({ weight, kind: 'depthwise', overCap: 0, pairs: 0 });
    else layers.push({ weight, kind: 'int8', ...pairsOverCap(t.data, t.dims) });
  }
  const unchecked = new Set<string>();
  for (const n of nodes) {
    if (INTEGER_OPS.has(n.op)) unchecked.add(n.op);
    const t = n.op === 'DequantizeLinear' ? tensors.get(n.inputs[0] ?? '') : undefined;
    if (t && (t.type === OnnxType.Int8 || t.type === OnnxType.Uint8) && !checked.has(n.outputs[0] ?? '')) {
      const users = nodes.filter((m) => m.inputs.includes(n.outputs[0] ?? '')).map((m) => m.op);
      unchecked.add(`DequantizeLinear → ${[...new Set(users)].join('/') || 'nothing'}`);
    }
  }
  return { layers, dependsOnCpu: layers.some((l) => l.overCap > 0), unchecked: [...unchecked] };
}
