/**
 * A minimal ONNX (protobuf) writer for test models, so the suite never waits for the bundled model.
 * Only the fields the test graphs use are written.
 */

export class ProtoWriter {
  private readonly parts: number[] = [];
  varint(field: number, value: number | bigint): this {
    this.key(field, 0);
    this.rawVarint(BigInt(value));
    return this;
  }
  bytes(field: number, value: Uint8Array): this {
    this.key(field, 2);
    this.rawVarint(BigInt(value.length));
    for (const b of value) this.parts.push(b);
    return this;
  }
  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }
  message(field: number, value: ProtoWriter): this {
    return this.bytes(field, value.finish());
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
  private key(field: number, wire: number) {
    this.rawVarint(BigInt((field << 3) | wire));
  }
  private rawVarint(v: bigint) {
    let x = BigInt.asUintN(64, v);
    do {
      let byte = Number(x & 0x7fn);
      x >>= 7n;
      if (x) byte |= 0x80;
      this.parts.push(byte);
    } while (x);
  }
}

const FLOAT = 1;
const INT64 = 7;

/** A tensor initializer. */
export interface Initializer {
  name: string;
  dims: number[];
  type: 'float32' | 'int64';
  values: number[] | Float32Array;
}

/** A graph node; attributes are ints or int lists. */
export interface GraphNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, number | number[]>;
}

/** A graph input or output with a (possibly symbolic) shape. */
export interface GraphValue {
  name: string;
  shape: (number | string)[];
}

function tensor(init: Initializer): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of init.dims) w.varint(1, d);
  w.varint(2, init.type === 'float32' ? FLOAT : INT64);
  w.string(8, init.name);
  const raw =
    init.type === 'float32' ? new Uint8Array(Float32Array.from(init.values).buffer) : new Uint8Array(BigInt64Array.from(Array.from(init.values, (v) => BigInt(v))).buffer);
  w.bytes(9, raw);
  return w;
}

function valueInfo(value: GraphValue): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of value.shape) shape.message(1, typeof d === 'number' ? new ProtoWriter().varint(1, d) : new ProtoWriter().string(2, d));
  const tensorType = new ProtoWriter().varint(1, FLOAT).message(2, shape);
  return new ProtoWriter().string(1, value.name).message(2, new ProtoWriter().message(1, tensorType));
}

/** Serialises a single-graph ONNX model (opset 13). */
export function buildOnnxModel(spec: { nodes: GraphNode[]; initializers: Initializer[]; inputs: GraphValue[]; outputs: GraphValue[] }): Uint8Array {
  const graph = new ProtoWriter();
  spec.nodes.forEach((node, i) => {
    const n = new ProtoWriter();
    for (const input of node.inputs) n.string(1, input);
    for (const output of node.outputs) n.string(2, output);
    n.string(3, `${node.op}_${i}`);
    n.string(4, node.op);
    for (const [name, value] of Object.entries(node.attributes ?? {})) {
      const a = new ProtoWriter().string(1, name);
      if (Array.isArray(value)) {
        for (const v of value) a.varint(8, v);
        a.varint(20, 7);
      } else {
        a.varint(3, value);
        a.varint(20, 2);
      }
      n.message(5, a);
    }
    graph.message(1, n);
  });
  graph.string(2, 'test-graph');
  for (const init of spec.initializers) graph.message(5, tensor(init));
  for (const input of spec.inputs) graph.message(11, valueInfo(input));
  for (const output of spec.outputs) graph.message(12, valueInfo(output));
  const model = new ProtoWriter().varint(1, 7).string(2, 'readscore-tests').message(7, graph).message(8, new ProtoWriter().string(1, '').varint(2, 13));
  return model.finish();
}

/**
 * A "logits from samples" model: frame f's logit v is input sample f*stride+v. A crafted waveform
 * thus yields exactly the logits a test chooses. Output frames = floor(samples / stride).
 */
export function framePickerModel(vocab: number, stride: number, names = { input: 'waveform', output: 'logits' }): Uint8Array {
  const weights = new Float32Array(vocab * stride);
  for (let v = 0; v < vocab; v++) weights[v * stride + v] = 1;
  return buildOnnxModel({
    nodes: [
      { op: 'Unsqueeze', inputs: [names.input, 'axes'], outputs: ['x3'] },
      { op: 'Conv', inputs: ['x3', 'w'], outputs: ['conv'], attributes: { kernel_shape: [stride], strides: [stride] } },
      { op: 'Transpose', inputs: ['conv'], outputs: [names.output], attributes: { perm: [0, 2, 1] } },
    ],
    initializers: [
      { name: 'axes', dims: [1], type: 'int64', values: [1] },
      { name: 'w', dims: [vocab, 1, stride], type: 'float32', values: weights },
    ],
    inputs: [{ name: names.input, shape: ['batch', 'samples'] }],
    outputs: [{ name: names.output, shape: ['batch', 'frames', vocab] }],
  });
}
