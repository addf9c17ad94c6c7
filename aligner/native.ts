/**
 * Loader and wrapper of the Rust Node-API module (aligner/native/readscore_aligner.node, built by
 * aligner/build.js). The module receives typed arrays; align() writes into a reused buffer that
 * this wrapper copies the path out of, alignBatch() answers one ArrayBuffer that it views.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AlignerErrorCode, AlignerInputError } from './errors';
import type { AlignInput, Alignment, PhraseAligner } from './types';
import { checkInsertCost, checkPadding, type ValidTable } from './validate';

/** The functions exported by the native module (see src/binding.rs). */
export interface NativeBinding {
  createTable(sub: Float64Array, kind: Uint8Array, items: number, elements: number, insert: number, del: number): object;
  align(table: object, ref: Uint32Array, hyp: Uint32Array, freeLead: number, freeTrail: number, out: Float64Array, insertCost?: Float64Array): number;
  /** `insertCosts`: one cost per element of `hyps` (table.insert for phrases without their own), or undefined. */
  alignBatch(
    table: object,
    refs: Uint32Array,
    refEnds: Uint32Array,
    hyps: Uint32Array,
    hypEnds: Uint32Array,
    pads: Uint32Array,
    threads: number,
    insertCosts?: Float64Array,
  ): ArrayBuffer;
  threads(): number;
  /** The resampler's FIR (src/dsp.rs): fills `out` from `input` (PCM16 scaled by 1/32768). */
  resample?: NativeDsp['resample'];
  sampleSum?: NativeDsp['sampleSum'];
  sampleSquares?: NativeDsp['sampleSquares'];
  normalizeInto?: NativeDsp['normalizeInto'];
  softmaxSums?: SoftmaxSums;
}

/**
 * The decoder's per-frame argmax and softmax sum over frames `[from, to)` (src/dsp.rs
 * `softmax_sums`, the twin of core/decode/ctc.ts `frameArgmax` with core/decode/exp.ts's tables).
 */
export type SoftmaxSums = (data: Float32Array, vocab: number, from: number, to: number, fraction: Float64Array, power: Float64Array, best: Int32Array, sums: Float64Array) => void;

/** The audio kernels of the module (src/dsp.rs); core/audio and core/model keep TypeScript twins. */
export interface NativeDsp {
  /** The resampler's FIR: fills `out` from `input` (PCM16 scaled by 1/32768). */
  resample(input: Float32Array | Int16Array, table: Float32Array, taps: number, up: number, down: number, lead: number, out: Float32Array): void;
  /** The f64 sum of the samples over four lanes (`i mod 4`, the tail into lane 0). */
  sampleSum(x: Float32Array): number;
  /** The f64 sum of `(x - mean)²`, the same lanes. */
  sampleSquares(x: Float32Array, mean: number): number;
  /** Writes `(x - mean) * scale` into `out` from `at`. */
  normalizeInto(x: Float32Array, mean: number, scale: number, out: Float32Array, at: number): void;
}

/** Whether the native module could be loaded, and from where or why not. */
export type NativeStatus = { available: true; path: string } | { available: false; reason: string };

const FILE_NAME = 'readscore_aligner.node';
let cached: { status: NativeStatus; binding?: NativeBinding } | undefined;

/** Where the built module may sit: beside this file (source) or in the source tree (from dist/). */
export function nativeCandidates(): string[] {
  return [join(__dirname, 'native', FILE_NAME), join(__dirname, '..', '..', 'aligner', 'native', FILE_NAME)];
}

function load(): { status: NativeStatus; binding?: NativeBinding } {
  if (cached) return cached;
  const path = nativeCandidates().find((p) => existsSync(p));
  if (path === undefined) {
    cached = { status: { available: false, reason: `${FILE_NAME} not built (run node aligner/build.js)` } };
    return cached;
  }
  try {
    const binding = require(path) as NativeBinding;
    cached = { status: { available: true, path }, binding };
  } catch (err) {
    cached = { status: { available: false, reason: `${path} failed to load: ${(err as Error).message}` } };
  }
  return cached;
}

let dsp: NativeDsp | null | undefined;

/** The module's audio kernels, when it is built (and new enough to have them). */
export function nativeDsp(): NativeDsp | undefined {
  if (dsp === undefined) {
    const b = load().binding;
    dsp =
      b?.resample && b.sampleSum && b.sampleSquares && b.normalizeInto
        ? { resample: b.resample, sampleSum: b.sampleSum, sampleSquares: b.sampleSquares, normalizeInto: b.normalizeInto }
        : null;
  }
  return dsp ?? undefined;
}

/** The module's softmax sums, when it is built (and new enough to have them). */
export function nativeSoftmax(): SoftmaxSums | undefined {
  return load().binding?.softmaxSums;
}

/** Reports whether the native module is available (loads it on first call). */
export function nativeStatus(): NativeStatus {
  return load().status;
}

function rethrow(err: unknown): never {
  // Not `instanceof Error`: errors thrown by the module may come from another realm (jest, vm).
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && typeof message === 'string') throw new AlignerInputError(code, message);
  throw err;
}

function viewAlignment(buf: ArrayBuffer, start: number, cost: number, base: number, steps: number, total: number): Alignment {
  return {
    cost,
    refIndex: new Int32Array(buf, base + 4 * start, steps),
    hypIndex: new Int32Array(buf, base + 4 * (total + start), steps),
    ops: new Uint8Array(buf, base + 8 * total + start, steps),
  };
}

function padOf(name: string, value: number | undefined): number {
  const pad = checkPadding(name, value);
  return pad > 0xffffffff ? 0xffffffff : pad; // still too long for any hyp: the module rejects it
}

/** The native backend: the table is copied into Rust once; each call validates its input there. */
export class NativePhraseAligner implements PhraseAligner {
  readonly backend = 'native' as const;
  private readonly binding: NativeBinding;
  private readonly handle: object;
  private readonly threadCount: number;
  /** table.insert: the cost batched phrases without their own insertCost carry. */
  private readonly insert: number;
  /** Reused output buffer of align(); results are copied out of it. */
  private out = new Float64Array(64);
  private outBytes = new Uint8Array(this.out.buffer);
  private outInts = new Int32Array(this.out.buffer);

  constructor(binding: NativeBinding, table: ValidTable) {
    this.binding = binding;
    this.insert = table.insert;
    try {
      this.handle = binding.createTable(table.sub, table.kind, table.items, table.elements, table.insert, table.delete);
    } catch (err) {
      rethrow(err);
    }
    this.threadCount = binding.threads();
  }

  align(input: AlignInput): Alignment {
    if (input === null || typeof input !== 'object') {
      throw new AlignerInputError(AlignerErrorCode.InvalidSequence, 'input must be an object { ref, hyp }');
    }
    const { ref, hyp } = input;
    // Steps <= ref.length + hyp.length; the module checks the types and the buffer size.
    const need = 8 + 9 * ((ref?.length ?? 0) + (hyp?.length ?? 0));
    if (this.out.byteLength < need) this.growOut(need);
    let steps: number;
    try {
      // The module checks insertCost's type, length and values (undefined: table.insert).
      steps = this.binding.align(this.handle, ref, hyp, padOf('freeLead', input.freeLead), padOf('freeTrail', input.freeTrail), this.out, input.insertCost);
    } catch (err) {
      rethrow(err);
    }
    // Layout: cost f64 | refIndex i32[steps] | hypIndex i32[steps] | ops u8[steps].
    return {
      ops: this.outBytes.slice(8 + 8 * steps, 8 + 9 * steps),
      refIndex: this.outInts.slice(2, 2 + steps),
      hypIndex: this.outInts.slice(2 + steps, 2 + 2 * steps),
      cost: this.out[0] as number,
    };
  }

  private growOut(bytes: number): void {
    this.out = new Float64Array(Math.ceil((bytes * 2) / 8));
    this.outBytes = new Uint8Array(this.out.buffer);
    this.outInts = new Int32Array(this.out.buffer);
  }

  alignBatch(inputs: readonly AlignInput[]): Alignment[] {
    const count = inputs.length;
    if (count === 0) return [];
    let refTotal = 0;
    let hypTotal = 0;
    const refEnds = new Uint32Array(count);
    const hypEnds = new Uint32Array(count);
    const pads = new Uint32Array(2 * count);
    let withCosts = false;
    for (let k = 0; k < count; k++) {
      const input = inputs[k] as AlignInput;
      if (input === null || typeof input !== 'object' || !(input.ref instanceof Uint32Array) || !(input.hyp instanceof Uint32Array)) {
        throw new AlignerInputError(AlignerErrorCode.InvalidSequence, `inputs[${k}].ref and .hyp must be Uint32Arrays`);
      }
      refTotal += input.ref.length;
      hypTotal += input.hyp.length;
      refEnds[k] = refTotal;
      hypEnds[k] = hypTotal;
      pads[2 * k] = padOf(`inputs[${k}].freeLead`, input.freeLead);
      pads[2 * k + 1] = padOf(`inputs[${k}].freeTrail`, input.freeTrail);
      if (input.insertCost !== undefined) {
        // Type and length here (the costs are concatenated); the values are checked by the module.
        if (!(input.insertCost instanceof Float64Array) || input.insertCost.length !== input.hyp.length) {
          checkInsertCost(`inputs[${k}].insertCost`, input.insertCost, input.hyp.length);
        }
        withCosts = true;
      }
    }
    if (refTotal > 0xffffffff || hypTotal > 0xffffffff) {
      throw new AlignerInputError(AlignerErrorCode.TooLarge, 'batch holds more than 2^32 symbols; split it');
    }
    const refs = new Uint32Array(refTotal);
    const hyps = new Uint32Array(hypTotal);
    const insertCosts = withCosts ? new Float64Array(hypTotal) : undefined;
    for (let k = 0; k < count; k++) {
      const input = inputs[k] as AlignInput;
      const hypStart = (hypEnds[k] as number) - input.hyp.length;
      refs.set(input.ref, (refEnds[k] as number) - input.ref.length);
      hyps.set(input.hyp, hypStart);
      if (insertCosts) {
        if (input.insertCost) insertCosts.set(input.insertCost, hypStart);
        else insertCosts.fill(this.insert, hypStart, hypEnds[k] as number);
      }
    }
    let buf: ArrayBuffer;
    try {
      buf = this.binding.alignBatch(this.handle, refs, refEnds, hyps, hypEnds, pads, this.threadCount, insertCosts);
    } catch (err) {
      rethrow(err);
    }
    // Layout: costs f64[count] | stepEnds u32[count] (padded to 8) | refIndex i32[T] | hypIndex i32[T] | ops u8[T]
    const costs = new Float64Array(buf, 0, count);
    const stepEnds = new Uint32Array(buf, 8 * count, count);
    const base = 8 * count + 4 * (count + (count & 1));
    const total = count === 0 ? 0 : (stepEnds[count - 1] as number);
    const out: Alignment[] = new Array(count);
    let start = 0;
    for (let k = 0; k < count; k++) {
      const end = stepEnds[k] as number;
      out[k] = viewAlignment(buf, start, costs[k] as number, base, end - start, total);
      start = end;
    }
    return out;
  }
}

/** Loads the native module; undefined when it is not built or fails to load. */
export function loadNativeBinding(): NativeBinding | undefined {
  return load().binding;
}
